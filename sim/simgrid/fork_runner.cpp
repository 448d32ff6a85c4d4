#include "sim/simgrid/fork_runner.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "models/util/errors.hpp"

namespace trainsim {

namespace {
void write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      _exit(3);
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
}
}  // namespace

std::string run_in_child(const std::function<std::string()>& work) {
  int fds[2];
  if (::pipe(fds) != 0) throw InternalError(std::string("simgrid engine: pipe failed: ") + std::strerror(errno));
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw InternalError(std::string("simgrid engine: fork failed: ") + std::strerror(errno));
  if (pid == 0) {
    ::close(fds[0]);
    std::string out;
    char status = 'O';
    try {
      out = work();
    } catch (const InputError& e) {
      status = 'I';
      out = e.what();
    } catch (const std::exception& e) {
      status = 'E';
      out = e.what();
    }
    write_all(fds[1], &status, 1);
    write_all(fds[1], out.data(), out.size());
    ::close(fds[1]);
    std::fflush(nullptr);
    _exit(0);  // no static destructors: the parent owns them
  }
  ::close(fds[1]);
  std::string buf;
  char chunk[1 << 16];
  while (true) {
    const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    buf.append(chunk, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(st))
    throw InternalError("simgrid engine: the simulation process died with signal " + std::to_string(WTERMSIG(st)) +
                        " (" + strsignal(WTERMSIG(st)) + ")");
  if (buf.empty()) throw InternalError("simgrid engine: the simulation process returned nothing");
  const char status = buf[0];
  std::string body = buf.substr(1);
  if (status == 'I') throw InputError(body);
  if (status != 'O') throw InternalError(body);
  return body;
}

}  // namespace trainsim
