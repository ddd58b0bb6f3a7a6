// The floor under `list`: what any runtime's list must do per container on
// this machine, and nothing else, timed. Not part of `make bench`; run it on
// a state root full of created containers (docs/performance.md, issue 19):
//   cc -O2 -o list_floor bench/list_floor.c && ./list_floor ROOT
// Prints the time to read every ID/state.json, then to also read each
// init's /proc/PID/stat (the start time that guards against pid reuse).
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

// Reads every record; with check_pid, each init's /proc/PID/stat too.
static int walk(int root, int check_pid) {
  // A descriptor of its own: dup() would share the offset readdir leaves at the end.
  DIR* d = fdopendir(openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!d) return -1;
  int n = 0;
  char path[512], buf[8192];
  struct dirent* e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' || e->d_name[0] == '~') continue;
    snprintf(path, sizeof path, "%s/state.json", e->d_name);
    int fd = openat(root, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t len = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[len > 0 ? len : 0] = '\0';
    n++;
    if (!check_pid) continue;
    char* p = strstr(buf, "\"pid\":");
    snprintf(path, sizeof path, "/proc/%d/stat", p ? atoi(p + 6) : 1);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      len = read(fd, buf, sizeof buf);
      close(fd);
    }
  }
  closedir(d);
  return n;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s STATE_ROOT\n", argv[0]);
    return 1;
  }
  int root = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    perror(argv[1]);
    return 1;
  }
  for (int round = 0; round < 3; round++) {
    double t0 = now_ms();
    int n = walk(root, 0);
    double t1 = now_ms();
    walk(root, 1);
    double t2 = now_ms();
    printf("%d records: state.json only %.2f ms, with /proc/PID/stat %.2f ms\n", n, t1 - t0, t2 - t1);
  }
  return 0;
}
