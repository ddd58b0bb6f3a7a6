// The shim's waiting half, in a small binary of its own (berth-shim) so that
// an idle shim keeps few pages resident: it waits for the container's
// processes (shim/procs.h), pumps their stdio (to the caller's fds and the
// output log), records each exit in the state directory (exit.json for the
// init, exit.<key>.json for an exec'd process) under the container's lock,
// and answers the control socket (shim/protocol.h). It exits once the init
// and every exec'd process it knows have exited, the `berth` it ran for a
// request (exec, start) has finished, and the records are written.
//
// argv: key=value words, as launch() (shim.cc) passes them:
//   root= id= init=<pid>  dir=<fd of the state dir> exe=<fd of berth: exec, start>
//   sock=<listening control socket> [log=<fd>] [pty=<fd>]
//   [in-from= in-to= out-from= out-to= err-from= err-to=] (the init's pumps)
#pragma once

namespace berth::shim {

int monitor_main(int argc, char** argv);

}  // namespace berth::shim
