/* probe: a small static program copied into test rootfs images. It reports
 * what a process inside the container sees, one "key=value" line per request,
 * so integration tests assert effects rather than a runtime's messages.
 *
 *   probe id hostname cwd pid ns fds umask caps nnp
 *   probe env KEY | rlimit NAME | status FIELD | mountinfo | exit N | sleep
 *   probe session (sid, pgrp) | syscall NR (errno of a raw call, 0 if it worked)
 *   probe read PATH (first line, or the errno) | write PATH VALUE
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void print_status_field(const char* field) {
  FILE* f = fopen("/proc/self/status", "r");
  char line[512];
  size_t n = strlen(field);
  if (!f) {
    printf("%s=?\n", field);
    return;
  }
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, field, n) == 0 && line[n] == ':') {
      char* v = line + n + 1;
      while (*v == ' ' || *v == '\t') v++;
      v[strcspn(v, "\n")] = 0;
      printf("%s=%s\n", field, v);
    }
  }
  fclose(f);
}

static int rlimit_by_name(const char* name) {
  static const struct {
    const char* n;
    int r;
  } t[] = {{"NOFILE", RLIMIT_NOFILE},   {"NPROC", RLIMIT_NPROC}, {"CORE", RLIMIT_CORE},
           {"STACK", RLIMIT_STACK},     {"AS", RLIMIT_AS},       {"CPU", RLIMIT_CPU},
           {"MEMLOCK", RLIMIT_MEMLOCK}, {"FSIZE", RLIMIT_FSIZE}, {"NICE", RLIMIT_NICE}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(t[i].n, name) == 0) return t[i].r;
  return -1;
}

static void print_fds(void) {
  DIR* d = opendir("/proc/self/fd");
  int self = d ? dirfd(d) : -1;
  struct dirent* e;
  printf("fds=");
  int first = 1;
  while (d && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    int fd = atoi(e->d_name);
    if (fd == self) continue;
    char path[64], target[PATH_MAX];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof target - 1);
    target[n < 0 ? 0 : n] = 0;
    printf("%s%d:%s", first ? "" : ",", fd, target);
    first = 0;
  }
  printf("\n");
  if (d) closedir(d);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    const char* c = argv[i];
    const char* arg = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(c, "id")) {
      gid_t groups[64];
      int n = getgroups(64, groups);
      printf("uid=%d\ngid=%d\ngroups=", (int)getuid(), (int)getgid());
      for (int k = 0; k < n; k++) printf("%s%d", k ? "," : "", (int)groups[k]);
      printf("\n");
    } else if (!strcmp(c, "hostname")) {
      char h[256] = "";
      gethostname(h, sizeof h);
      printf("hostname=%s\n", h);
    } else if (!strcmp(c, "cwd")) {
      char p[PATH_MAX];
      printf("cwd=%s\n", getcwd(p, sizeof p) ? p : "?");
    } else if (!strcmp(c, "pid")) {
      printf("pid=%d\nppid=%d\n", (int)getpid(), (int)getppid());
    } else if (!strcmp(c, "ns")) {
      const char* names[] = {"cgroup", "ipc", "mnt", "net", "pid", "user", "uts", "time"};
      for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        char path[64], target[128];
        snprintf(path, sizeof path, "/proc/self/ns/%s", names[k]);
        ssize_t n = readlink(path, target, sizeof target - 1);
        target[n < 0 ? 0 : n] = 0;
        printf("ns.%s=%s\n", names[k], target);
      }
    } else if (!strcmp(c, "fds")) {
      print_fds();
    } else if (!strcmp(c, "umask")) {
      mode_t m = umask(0);
      umask(m);
      printf("umask=%04o\n", (unsigned)m);
    } else if (!strcmp(c, "caps")) {
      print_status_field("CapInh");
      print_status_field("CapPrm");
      print_status_field("CapEff");
      print_status_field("CapBnd");
      print_status_field("CapAmb");
    } else if (!strcmp(c, "nnp")) {
      printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    } else if (!strcmp(c, "env")) {
      const char* v = getenv(arg);
      printf("env.%s=%s\n", arg, v ? v : "<unset>");
      i++;
    } else if (!strcmp(c, "rlimit")) {
      struct rlimit r;
      int res = rlimit_by_name(arg);
      if (res < 0 || getrlimit(res, &r) < 0)
        printf("rlimit.%s=?\n", arg);
      else
        printf("rlimit.%s=%llu:%llu\n", arg, (unsigned long long)r.rlim_cur, (unsigned long long)r.rlim_max);
      i++;
    } else if (!strcmp(c, "status")) {
      print_status_field(arg);
      i++;
    } else if (!strcmp(c, "mountinfo")) {
      FILE* f = fopen("/proc/self/mountinfo", "r");
      char line[4096];
      while (f && fgets(line, sizeof line, f)) fputs(line, stdout);
      if (f) fclose(f);
    } else if (!strcmp(c, "session")) {
      printf("sid=%d\npgrp=%d\n", (int)getsid(0), (int)getpgrp());
    } else if (!strcmp(c, "syscall")) {
      long r = syscall(atol(arg), 0, 0, 0, 0, 0, 0);
      printf("syscall.%s=%d\n", arg, r < 0 ? errno : 0);
      i++;
    } else if (!strcmp(c, "read")) {
      char line[4096] = "";
      FILE* f = fopen(arg, "r");
      if (!f)
        printf("read.%s=errno:%d\n", arg, errno);
      else {
        if (fgets(line, sizeof line, f)) line[strcspn(line, "\n")] = 0;
        printf("read.%s=%s\n", arg, line);
        fclose(f);
      }
      i++;
    } else if (!strcmp(c, "write")) {
      const char* value = i + 2 < argc ? argv[i + 2] : "";
      int fd = open(arg, O_WRONLY);
      int err = fd < 0 || write(fd, value, strlen(value)) < 0 ? errno : 0;
      printf("write.%s=%d\n", arg, err);
      if (fd >= 0) close(fd);
      i += 2;
    } else if (!strcmp(c, "exit")) {
      fflush(stdout);
      return atoi(arg);
    } else if (!strcmp(c, "sleep")) {
      fflush(stdout);
      for (;;) pause();
    } else {
      fprintf(stderr, "probe: unknown request %s\n", c);
      return 2;
    }
  }
  return 0;
}
