/* Event file descriptors watched by epoll while a child exits: eventfd,
 * timerfd, signalfd, inotify.  The child's SIGCHLD is ignored (default
 * action): it must not interrupt epoll_wait, natively or recorded (under
 * ptrace the kernel queues ignored signals, and epoll_wait would return
 * EINTR if the recorder let it).  Self-checking: ends with PASS. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdint.h>
#include <signal.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <time.h>
int main(void){
  int ep = epoll_create1(0), ev = eventfd(0, 0), tf = timerfd_create(CLOCK_MONOTONIC, 0);
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigprocmask(SIG_BLOCK, &m, 0);
  int sf = signalfd(-1, &m, 0); int in = inotify_init1(0); inotify_add_watch(in, "/tmp", IN_CREATE);
  struct epoll_event e = { .events = EPOLLIN };
  int fds[4] = { ev, tf, sf, in };
  for (int i = 0; i < 4; i++) { e.data.u32 = i; epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e); }
  struct itimerspec its = { .it_value = { 0, 50000000 } }; timerfd_settime(tf, 0, &its, 0);
  pid_t c = fork();
  if (c == 0) { uint64_t one = 1; write(ev, &one, 8); kill(getppid(), SIGUSR1); char p[64]; snprintf(p, 64, "/tmp/evtest.%d", getpid()); close(open(p, O_CREAT|O_WRONLY, 0600)); unlink(p); _exit(0); }
  int seen = 0;
  while (seen != 15) { struct epoll_event out[4]; int n = epoll_wait(ep, out, 4, 2000); if (n <= 0) break;
    for (int i = 0; i < n; i++) { char buf[4096]; read(fds[out[i].data.u32], buf, sizeof buf); seen |= 1 << out[i].data.u32; } }
  waitpid(c, 0, 0);
  printf("seen eventfd %d timerfd %d signalfd %d inotify %d\n", !!(seen&1), !!(seen&2), !!(seen&4), !!(seen&8));
  if (seen != 15)
    return 1;
  printf("PASS conf_sys_events\n");
  return 0;
}
