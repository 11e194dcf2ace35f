# Fails unless the command .ci/run runs (its last line) appears verbatim in
# README.md, where it is quickstart command 2.
file(STRINGS ${CI_RUN} ci_lines)
list(GET ci_lines -1 command)
file(READ ${README} readme)
string(FIND "${readme}" "${command}" found)
if(found EQUAL -1)
  message(FATAL_ERROR ".ci/run runs\n  ${command}\nwhich README.md does not show verbatim")
endif()
