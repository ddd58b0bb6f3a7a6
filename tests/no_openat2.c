/* no_openat2: runs a command under a seccomp filter that answers openat2(2)
 * with ENOSYS, as a kernel before 5.6 or a container engine's profile
 * without it does. The integration tests run berth's mount and exploit
 * scenarios through it, so the component walk that replaces openat2 there
 * (src/linux/resolve.h) is tested for real, not only in unit tests.
 *
 *   no_openat2 PROGRAM [ARGS...]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: no_openat2 PROGRAM [ARGS...]\n");
    return 2;
  }
  struct sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fprog = {sizeof prog / sizeof prog[0], prog};
  /* Root loads it without no_new_privs, so setuid programs in the
   * containers behave as usual. */
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
    perror("no_openat2: seccomp");
    return 1;
  }
  execv(argv[1], argv + 1);
  perror("no_openat2: exec");
  return 127;
}
