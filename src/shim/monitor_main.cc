// berth-shim: the monitor half of a container's shim (shim/monitor.h). Not
// for people to run: berth executes it after creating the container.
#include "shim/monitor.h"

int main(int argc, char** argv) { return berth::shim::monitor_main(argc, argv); }
