// The root filesystem: mounts and their flags, masked and read-only paths,
// devices, and paths that try to lead out of the rootfs.
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness.h"

namespace berth::test {
namespace {

class Rootfs : public BerthTest {
 protected:
  // mountinfo lines of the container whose mount point is mp.
  std::string mount_line(const std::string& mountinfo, const std::string& mp) {
    std::istringstream in(mountinfo);
    std::string line, found;
    while (std::getline(in, line)) {
      std::istringstream f(line);
      std::string a, b, c, d, point;
      f >> a >> b >> c >> d >> point;
      if (point == mp) found = line;  // the last one is on top
    }
    return found;
  }
};

TEST_F(Rootfs, MountsCarryTheirTypesAndFlags) {
  std::string host_dir = tmp_ + "/shared";
  ::mkdir(host_dir.c_str(), 0755);
  std::ofstream(host_dir + "/hello") << "from the host";
  config_["mounts"].push_back(
      {{"destination", "/data"}, {"type", "bind"}, {"source", host_dir}, {"options", {"rbind", "ro", "nosuid"}}});
  config_["mounts"].push_back({{"destination", "/scratch"},
                               {"type", "tmpfs"},
                               {"source", "tmpfs"},
                               {"options", {"size=1m", "mode=700", "noexec"}}});
  config_["mounts"].push_back(
      {{"destination", "/rdata"}, {"type", "bind"}, {"source", host_dir}, {"options", {"rbind", "rro"}}});
  config_["mounts"].push_back(
      {{"destination", "/sdata"}, {"type", "bind"}, {"source", host_dir}, {"options", {"bind", "shared"}}});
  set_args({"/bin/sh", "-c",
            "cat /proc/self/mountinfo; cat /data/hello; echo; touch /data/x 2>&1; touch /rdata/y 2>&1; true"});
  RunResult r = berth({"run", "--bundle", bundle_, "mnt"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::string mi = r.out;
  EXPECT_NE(mount_line(mi, "/proc").find(" - proc "), std::string::npos);
  std::string dev = mount_line(mi, "/dev");
  EXPECT_NE(dev.find(" - tmpfs "), std::string::npos) << dev;
  EXPECT_NE(dev.find("nosuid"), std::string::npos) << dev;
  std::string sys = mount_line(mi, "/sys");
  EXPECT_NE(sys.find(" ro,"), std::string::npos) << sys;
  std::string shm = mount_line(mi, "/dev/shm");
  for (const char* f : {"nosuid", "nodev", "noexec"}) EXPECT_NE(shm.find(f), std::string::npos) << shm;
  std::string data = mount_line(mi, "/data");
  EXPECT_NE(data.find(" ro,nosuid"), std::string::npos) << data;
  std::string scratch = mount_line(mi, "/scratch");
  EXPECT_NE(scratch.find("noexec"), std::string::npos) << scratch;
  EXPECT_NE(scratch.find("size=1024k"), std::string::npos) << scratch;
  EXPECT_NE(scratch.find("mode=700"), std::string::npos) << scratch;
  EXPECT_NE(mount_line(mi, "/rdata").find(" ro"), std::string::npos);
  EXPECT_NE(mount_line(mi, "/sdata").find(" shared:"), std::string::npos) << mount_line(mi, "/sdata");
  EXPECT_EQ(mount_line(mi, "/data").find(" shared:"), std::string::npos) << mount_line(mi, "/data");
  EXPECT_NE(mount_line(mi, "/sys/fs/cgroup").size(), 0u);
  EXPECT_NE(mi.find("from the host"), std::string::npos);
  EXPECT_NE(mi.find("touch: /data/x: Read-only file system"), std::string::npos) << mi;
  EXPECT_NE(mi.find("touch: /rdata/y: Read-only file system"), std::string::npos) << mi;
  EXPECT_FALSE(exists(host_dir + "/x"));
}

TEST_F(Rootfs, MaskedAndReadOnlyPaths) {
  // Paths this kernel has: a masked file and directory, a read-only tree.
  ASSERT_FALSE(read_text("/proc/timer_list").empty());
  config_["linux"]["maskedPaths"].push_back("/proc/bus");
  set_args({"/bin/sh", "-c",
            "wc -c < /proc/timer_list; ls /proc/bus | wc -l; echo x > /proc/sys/kernel/hostname; echo done"});
  RunResult r = berth({"run", "--bundle", bundle_, "mask"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "0\n0\ndone\n");  // timer_list reads as /dev/null, /proc/bus is an empty tmpfs
  EXPECT_NE(r.err.find("/proc/sys/kernel/hostname: Read-only file system"), std::string::npos) << r.err;
}

TEST_F(Rootfs, DevicesHaveTheirTypeNumbersModeAndOwner) {
  config_["linux"]["devices"] = {
      {{"type", "c"},
       {"path", "/dev/fuse"},
       {"major", 10},
       {"minor", 229},
       {"fileMode", 0640},
       {"uid", 1000},
       {"gid", 1001}},
      {{"type", "b"}, {"path", "/dev/sub/blk"}, {"major", 7}, {"minor", 0}, {"fileMode", 0600}}};
  set_args({"/bin/sh", "-c",
            "stat -c '%n %F %t:%T %a %u:%g' /dev/fuse /dev/sub/blk /dev/null /dev/zero /dev/tty; "
            "for l in fd ptmx stdin; do readlink /dev/$l; done"});
  RunResult r = berth({"run", "--bundle", bundle_, "dev"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("/dev/fuse character special file a:e5 640 1000:1001"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/sub/blk block special file 7:0 600 0:0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/null character special file 1:3 666 0:0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/dev/tty character special file 5:0 666 0:0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("/proc/self/fd\npts/ptmx\n/proc/self/fd/0"), std::string::npos) << r.out;
}

TEST_F(Rootfs, SymlinksInTheImageCannotLeadAMountOut) {
  std::string rootfs = own_rootfs();
  std::string escape = "berth-escape-" + std::to_string(::getpid());
  ASSERT_EQ(::symlink("/", (rootfs + "/evil").c_str()), 0);
  ASSERT_EQ(::symlink("../../../../..", (rootfs + "/up").c_str()), 0);
  config_["mounts"].push_back({{"destination", "/evil/tmp/" + escape}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  config_["mounts"].push_back({{"destination", "/up/" + escape}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  set_args({"/bin/sh", "-c", "grep -c " + escape + " /proc/self/mountinfo"});
  RunResult r = berth({"run", "--bundle", bundle_, "esc"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "2\n");                         // both mounts are inside the container
  EXPECT_TRUE(exists(rootfs + "/tmp/" + escape));  // /evil/tmp resolved inside the rootfs
  EXPECT_TRUE(exists(rootfs + "/" + escape));      // /up/.. stops at the rootfs
  EXPECT_FALSE(exists("/tmp/" + escape));
  EXPECT_FALSE(exists("/" + escape));
}

TEST_F(Rootfs, ADanglingSymlinkOnTheWayGetsItsTargetMadeInsideTheRoot) {
  // An image with /var/run -> /run and no /run: runc makes /run and mounts
  // there. A target that climbs out (../../..) or is absolute stays inside.
  std::string rootfs = own_rootfs();
  std::string out = "berth-dangling-" + std::to_string(::getpid());
  ASSERT_EQ(::symlink("/made-abs", (rootfs + "/abs").c_str()), 0);
  ASSERT_EQ(::symlink("made-rel", (rootfs + "/rel").c_str()), 0);
  ASSERT_EQ(::symlink(("../../../../tmp/" + out).c_str(), (rootfs + "/climb").c_str()), 0);
  ASSERT_EQ(::symlink("loop2", (rootfs + "/loop1").c_str()), 0);
  ASSERT_EQ(::symlink("loop1", (rootfs + "/loop2").c_str()), 0);
  for (const char* d : {"/abs/x", "/rel/x", "/climb/x"})
    config_["mounts"].push_back({{"destination", d}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  set_args({"/bin/sh", "-c", "grep -o ' /made-abs/x \\| /made-rel/x \\| /tmp/" + out + "/x ' /proc/self/mountinfo"});
  RunResult r = berth({"run", "--bundle", bundle_, "dangle"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, " /made-abs/x \n /made-rel/x \n /tmp/" + out + "/x \n") << r.out;
  EXPECT_TRUE(exists(rootfs + "/made-abs/x"));
  EXPECT_TRUE(exists(rootfs + "/tmp/" + out + "/x"));
  EXPECT_FALSE(exists("/tmp/" + out));  // the host is untouched
  EXPECT_FALSE(exists("/made-abs"));
  // A loop is an error, not a hang.
  config_["mounts"] = default_config()["mounts"];
  config_["mounts"].push_back({{"destination", "/loop1/x"}, {"type", "tmpfs"}, {"source", "tmpfs"}});
  write_config();
  RunResult loop = berth({"run", "--bundle", bundle_, "loop"});
  EXPECT_EQ(loop.code, 1);
  EXPECT_NE(loop.err.find("symbolic links"), std::string::npos) << loop.err;
  EXPECT_FALSE(exists(root_ + "/loop"));
}

TEST_F(Rootfs, AMaskedSymlinkMasksItsTargetInsideTheRoot) {
  // runc follows a masked path's symlink (inside the root); a loop fails
  // create (runtime-tools' linux_masked_paths).
  std::string rootfs = own_rootfs();
  ASSERT_EQ(::symlink("/etc/hostname", (rootfs + "/msl").c_str()), 0);
  ASSERT_EQ(::symlink("../self-loop", (rootfs + "/self-loop").c_str()), 0);
  config_["linux"]["maskedPaths"] = {"/msl"};
  set_args({"/bin/sh", "-c", "readlink /msl; wc -c < /etc/hostname"});
  RunResult r = berth({"run", "--bundle", bundle_, "msl"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/etc/hostname\n0\n");  // the link stays, its target reads as /dev/null
  config_["linux"]["maskedPaths"] = {"/self-loop"};
  write_config();
  RunResult loop = berth({"run", "--bundle", bundle_, "mloop"});
  EXPECT_EQ(loop.code, 1);
  EXPECT_NE(loop.err.find("symbolic links"), std::string::npos) << loop.err;
  EXPECT_FALSE(exists(root_ + "/mloop"));
}

TEST_F(Rootfs, ProcMountedOverASymlinkIsRefused) {
  std::string rootfs = own_rootfs();
  ASSERT_EQ(::rmdir((rootfs + "/proc").c_str()), 0);
  ASSERT_EQ(::symlink("/tmp", (rootfs + "/proc").c_str()), 0);
  write_config();
  RunResult r = berth({"run", "--bundle", bundle_, "procsym"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("/proc"), std::string::npos) << r.err;
  EXPECT_FALSE(exists(root_ + "/procsym"));
}

TEST_F(Rootfs, CwdThroughAMagicLinkIsRefused) {
  config_["process"]["cwd"] = "/proc/self/fd/3";
  write_config();
  auto mounts = mount_points();
  RunResult r = berth({"run", "--bundle", bundle_, "cwd"});
  EXPECT_EQ(r.code, 1);
  if (runtime_is_berth()) {
    EXPECT_NE(r.err.find("cwd"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(exists(root_ + "/cwd"));
  EXPECT_EQ(mount_points(), mounts);
}

TEST_F(Rootfs, NoPivot) {
  set_args({"/bin/ls", "/bin/probe"});
  RunResult r = berth({"run", "--no-pivot", "--bundle", bundle_, "np"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/bin/probe\n");
}

TEST_F(Rootfs, NoPivotRefusesAPrivateRootPropagation) {
  // As runc: with chroot, a private root holds mount references the
  // namespace cannot free (runc#1602, runc#1606). Refused before anything.
  for (const char* p : {"private", "rprivate"}) {
    config_["linux"]["rootfsPropagation"] = p;
    write_config();
    RunResult r = berth({"run", "--no-pivot", "--bundle", bundle_, "np"});
    EXPECT_EQ(r.code, 1) << p << ": " << r.err;
    EXPECT_FALSE(exists(root_ + "/np")) << p;
  }
  config_["linux"]["rootfsPropagation"] = "rslave";
  set_args({"/bin/ls", "/bin/probe"});
  RunResult r = berth({"run", "--no-pivot", "--bundle", bundle_, "np"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "/bin/probe\n");
}

TEST_F(Rootfs, IdmappedBindMountShowsMappedOwners) {
  REQUIRES_SPEC("1.1.0", "mounts[].uidMappings (idmapped mounts)");
  std::string host_dir = tmp_ + "/owned";
  ::mkdir(host_dir.c_str(), 0755);
  std::ofstream(host_dir + "/f") << "x";
  ASSERT_EQ(::chown((host_dir + "/f").c_str(), 0, 0), 0);
  config_["mounts"].push_back({{"destination", "/idm"},
                               {"type", "bind"},
                               {"source", host_dir},
                               {"options", {"rbind", "idmap"}},
                               {"uidMappings", {{{"containerID", 0}, {"hostID", 1234}, {"size", 1}}}},
                               {"gidMappings", {{{"containerID", 0}, {"hostID", 4321}, {"size", 1}}}}});
  set_args({"/bin/sh", "-c", "stat -c '%u:%g' /idm/f; grep ' /idm ' /proc/self/mountinfo | grep -c idmapped"});
  RunResult r = berth({"run", "--bundle", bundle_, "idm"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "1234:4321\n1\n");
}

TEST_F(Rootfs, TmpcopyupCopiesTheImagesFilesIntoTheTmpfs) {
  config_["mounts"].push_back(
      {{"destination", "/etc"}, {"type", "tmpfs"}, {"source", "tmpfs"}, {"options", {"tmpcopyup", "mode=755"}}});
  set_args(
      {"/bin/sh", "-c",
       "head -1 /etc/passwd; echo new > /etc/new; cat /etc/new; grep ' /etc ' /proc/self/mountinfo | cut -d' ' -f9"});
  RunResult r = berth({"run", "--bundle", bundle_, "tcu"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "root:x:0:0:root:/root:/bin/sh\nnew\ntmpfs\n");
  EXPECT_FALSE(exists(std::string(BERTH_TEST_ROOTFS) + "/etc/new"));
}

}  // namespace
}  // namespace berth::test
