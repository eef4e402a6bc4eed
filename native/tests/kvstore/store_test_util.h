// Helpers for the KV store tests: a temporary directory removed on exit, and
// a child process run under a resource limit or killed on purpose.
#pragma once
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "temp_dir.h"

namespace store_test {

using TempDir = tome_test::TempDir;  // temp_dir.h

// Runs fn in a forked child; returns its exit status (or 128 + signal).
// The child must not share open SQLite connections with the parent.
inline int run_child(const std::function<int()>& fn, long file_size_limit = -1) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (file_size_limit >= 0) {
      std::signal(SIGXFSZ, SIG_IGN);  // a write past the limit then fails with EFBIG
      rlimit r{rlim_t(file_size_limit), rlim_t(file_size_limit)};
      setrlimit(RLIMIT_FSIZE, &r);
    }
    int rc = 99;
    try {
      rc = fn();
    } catch (...) {
      rc = 98;
    }
    _exit(rc);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace store_test
