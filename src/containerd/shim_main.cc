// containerd-shim-berth-v2: containerd's runtime v2 shim for berth
// (runtime_type "io.containerd.berth.v2"). containerd runs it three ways,
// always with its flags first (Go's flag syntax: -name value):
//   -namespace NS -address A -publish-binary B -id ID start
//       in the bundle: find or start the pod's shim, print its address.
//   -namespace NS -address A -publish-binary B -id ID -bundle DIR delete
//       after a shim was lost: remove what is left of the container and
//       print a DeleteResponse (protobuf) on stdout.
//   (no action) the shim itself, as `start` runs it: serves ttrpc on the
//       listening socket it inherits as fd 3 until Shutdown.
// One shim serves a pod: containers whose annotations name the same
// sandbox (io.kubernetes.cri.sandbox-id, ...) get the same socket address,
// derived from containerd's address, the namespace and the pod's id, so
// `start` for a pod's second container finds the first one's shim live and
// answers with its address.
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/sha256.h"
#include "containerd/publisher.h"
#include "containerd/rootfs.h"
#include "containerd/task_service.h"
#include "platform/builtin.h"
#include "runtime/commands.h"
#include "runtime/sandbox.h"
#include "shim.pb.h"

namespace berth::containerd {
namespace {

constexpr const char* kSocketDir = "/run/containerd/s";
// Where the containers' state lives (as berth --root), per namespace:
// $BERTH_CONTAINERD_ROOT (containerd passes its environment on), else this.
constexpr const char* kDefaultRoot = "/run/containerd/berth";

struct Flags {
  std::string ns, address, id, bundle, action;
};

// Exits at once (the process is single-threaded here, or past caring).
[[noreturn]] void quit(int code) {
  std::fflush(nullptr);
  ::_exit(code);
}

[[noreturn]] void usage_error(const std::string& what) {
  std::fprintf(stderr, "containerd-shim-berth-v2: %s\n", what.c_str());
  quit(1);
}

Flags parse_flags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a.size() < 2 || a[0] != '-') {
      if (!f.action.empty()) usage_error("unexpected argument " + a);
      f.action = a;
      continue;
    }
    a.erase(0, a[1] == '-' ? 2 : 1);
    std::string value;
    const bool inline_value = a.find('=') != std::string::npos;
    if (inline_value) {
      value = a.substr(a.find('=') + 1);
      a.resize(a.find('='));
    }
    if (a == "v") {
      std::printf("containerd-shim-berth-v2\n  Version: berth\n");
      quit(0);
    }
    if (a == "debug") continue;  // a boolean flag: takes no value
    if (!inline_value) {
      if (i + 1 >= argc) usage_error("flag -" + a + " needs a value");
      value = argv[++i];
    }
    if (a == "namespace")
      f.ns = value;
    else if (a == "address")
      f.address = value;
    else if (a == "id")
      f.id = value;
    else if (a == "bundle")
      f.bundle = value;
    // -publish-binary (events go over ttrpc instead) and flags of later
    // containerds (-socket, ...) are accepted and unused.
  }
  if (f.ns.empty()) usage_error("-namespace is required");
  return f;
}

std::string state_root(const std::string& ns) {
  const char* base = std::getenv("BERTH_CONTAINERD_ROOT");  // NOLINT(concurrency-mt-unsafe): single-threaded here
  return path_join(base && *base ? base : kDefaultRoot, ns);
}

// This program's path ("" when unknown).
std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// berth next to this binary, else libberth's own search; berth-vm (every
// sandbox a utility VM's) when run as containerd-shim-berth-vm-v2, the
// shim of runtime_type io.containerd.berth-vm.v2.
std::string sibling_berth(const std::string& argv0) {
  const std::string self = self_exe();
  if (self.empty()) return "";
  const bool vm = argv0.substr(argv0.rfind('/') + 1) == "containerd-shim-berth-vm-v2";
  std::string berth = self.substr(0, self.rfind('/') + 1) + (vm ? "berth-vm" : "berth");
  return ::access(berth.c_str(), X_OK) == 0 ? berth : "";
}

// The pod a bundle's container belongs to ("" for none), from its config.
std::string pod_of(const std::string& id) {
  auto text = read_file("config.json");
  if (!text) return "";
  auto spec = nlohmann::json::parse(*text, nullptr, false);
  if (!spec.is_object() || !spec.contains("annotations") || !spec["annotations"].is_object()) return "";
  std::map<std::string, std::string> annotations;
  for (const auto& [k, v] : spec["annotations"].items())
    if (v.is_string()) annotations[k] = v.get<std::string>();
  auto m = runtime::sandbox::parse(annotations, id);
  return m ? m->sandbox_id : "";
}

bool connectable(const std::string& path) {
  auto c = Client::connect(path);
  return bool(c);
}

Result<Fd> listen_on(const std::string& path) {
  if (auto s = mkdir_all(kSocketDir, 0711); !s) return std::move(s).error();
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path) return invalid("socket path " + path + " is too long");
  path.copy(sa.sun_path, path.size());
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return sys_error("socket");
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&sa), sizeof sa) < 0) return sys_error("bind " + path);
  if (::listen(fd.get(), 128) < 0) return sys_error("listen " + path);
  return fd;
}

int start(int argc, char** argv, const Flags& f) {
  if (f.id.empty()) usage_error("-id is required");
  const std::string pod = pod_of(f.id);
  const std::string group = pod.empty() ? f.id : pod;
  const std::string path = std::string(kSocketDir) + "/" + sha256_hex(path_clean(f.address + "/" + f.ns + "/" + group));
  const std::string address = "unix://" + path;
  Result<Fd> listener = listen_on(path);
  if (!listener && listener.error().code == EADDRINUSE) {
    // The pod's shim, when it answers; else a dead one's socket, replaced.
    if (!connectable(path)) {
      ::unlink(path.c_str());
      listener = listen_on(path);
    }
  }
  if (listener) {
    // The shim runs this program by its path, as runc's shim does
    // (os.Executable): a tool running it (valgrind, for
    // scripts/link-order.py) then follows into the shim.
    const std::string self = self_exe();
    pid_t pid = ::fork();
    if (pid < 0) usage_error(sys_error("fork").message);
    if (pid == 0) {
      // The shim: a session of its own (containerd's signals are not its
      // own), the listener as fd 3, nothing of containerd's stdio.
      ::setsid();
      // dup2 onto itself would leave close-on-exec set.
      if (listener->get() == 3)
        ::fcntl(3, F_SETFD, 0);
      else
        ::dup2(listener->get(), 3);
      int null = ::open("/dev/null", O_RDWR);
      for (int i = 0; i < 3; i++) ::dup2(null, i);
      std::vector<char*> args;
      for (int i = 0; i < argc; i++)
        if (std::string(argv[i]) != "start") args.push_back(argv[i]);
      args.push_back(nullptr);
      if (!self.empty()) ::execv(self.c_str(), args.data());
      ::execv("/proc/self/exe", args.data());  // the path gone (the binary replaced)
      ::_exit(127);
    }
  } else if (listener.error().code != EADDRINUSE) {
    usage_error(listener.error().message);
  }
  if (auto s = write_file_atomic(AT_FDCWD, "address", address, 0644); !s) usage_error(s.error().message);
  std::printf("%s", address.c_str());
  return 0;
}

// What containerd runs when the shim is gone: the container is removed
// (killed first), its rootfs unmounted, and a DeleteResponse says it was
// killed (exit 137, now), as runc's shim answers.
int remove_lost(const Flags& f) {
  if (f.id.empty()) usage_error("-id is required");
  const std::string bundle = f.bundle.empty() ? "." : f.bundle;
  platform::register_builtin();
  state::Store store(state_root(f.ns));
  std::vector<std::string> warnings;
  if (auto s = runtime::remove(store, f.id, true, &warnings); !s)
    std::fprintf(stderr, "delete %s: %s\n", f.id.c_str(), s.error().message.c_str());
  unmount_rootfs(bundle);
  ::containerd::task::v2::DeleteResponse resp;
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  resp.mutable_exited_at()->set_seconds(ts.tv_sec);
  resp.mutable_exited_at()->set_nanos(static_cast<int32_t>(ts.tv_nsec));
  resp.set_exit_status(128 + SIGKILL);
  const std::string out = resp.SerializeAsString();
  return std::fwrite(out.data(), 1, out.size(), stdout) == out.size() ? 0 : 1;
}

// A pod's shim waits for weeks: what it keeps resident is what it costs.
// One malloc arena for all its threads (each would get one of its own).
void trim_resident() { ::mallopt(M_ARENA_MAX, 1); }  // NOLINT(concurrency-mt-unsafe): before any thread

int serve(const Flags& f, const std::string& argv0) {
  trim_resident();
  ::signal(SIGPIPE, SIG_IGN);
  // containerd reads the shim's log from the bundle's "log" fifo.
  if (int log = ::open("log", O_WRONLY | O_NONBLOCK | O_CLOEXEC); log >= 0) {
    ::fcntl(log, F_SETFL, 0);
    ::dup2(log, 2);
    ::close(log);
  }
  (void)::chdir("/");  // hold no bundle of the pod busy
  platform::register_builtin();
  const char* ttrpc = std::getenv("TTRPC_ADDRESS");  // NOLINT(concurrency-mt-unsafe): before any thread
  Publisher publisher(ttrpc ? ttrpc : "", f.ns);
  std::unique_ptr<libberth::Client> client;
  // One event thread: a pod's events are few, and in order per container anyway.
  const libberth::ClientOptions options{.root = state_root(f.ns),
                                        .berth_binary = sibling_berth(argv0),
                                        .event_threads = 1};
  if (auto s = libberth::Client::open(options, &client); !s.ok()) {
    std::fprintf(stderr, "containerd-shim-berth-v2: %s\n", s.to_string().c_str());
    return 1;
  }
  TaskService service(client.get(), &publisher);
  client->set_event_handler([&service](const libberth::Event& e) { service.on_event(e); });
  Server server;
  service.install(&server, [&server] { server.stop(); });
  Status s = server.serve(3);
  client.reset();  // its last events queued
  publisher.flush(std::chrono::seconds(5));
  // The socket's name goes with the shim, so the pod's next start makes a new one.
  sockaddr_un sa{};
  socklen_t len = sizeof sa;
  if (::getsockname(3, reinterpret_cast<sockaddr*>(&sa), &len) == 0 && sa.sun_path[0] == '/') ::unlink(sa.sun_path);
  if (!s) std::fprintf(stderr, "containerd-shim-berth-v2: %s\n", s.error().message.c_str());
  // Connection threads may still be blocked in a read: no destructor may
  // run under them.
  quit(s ? 0 : 1);
}

}  // namespace
}  // namespace berth::containerd

int main(int argc, char** argv) try {
  using namespace berth::containerd;
  Flags f = parse_flags(argc, argv);
  if (f.action == "start") return start(argc, argv, f);
  if (f.action == "delete") return remove_lost(f);
  if (!f.action.empty()) usage_error("unknown action " + f.action);
  return serve(f, argv[0]);
} catch (const std::exception& e) {
  std::fprintf(stderr, "containerd-shim-berth-v2: %s\n", e.what());
  return 1;
}
