#include "atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "attend/core/error.hpp"

namespace attend::detail {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  temp_path_ = path_ + ".tmp." + std::to_string(::getpid());
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    done_ = true;  // nothing was created
    ATTEND_CHECK(false, "{}: cannot create the temporary file {}: {}", path_, temp_path_, std::strerror(errno));
  }
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::write(const void* data, size_t size) {
  ATTEND_ASSERT(!done_, "write after commit or failure");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write the temporary file", n < 0 ? errno : EIO);
    p += n;
    size -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  ATTEND_ASSERT(!done_, "commit after commit or failure");
  if (::fsync(fd_) != 0) fail("cannot fsync the temporary file", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail("cannot close the temporary file", errno);
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) fail("cannot rename the temporary file into place", errno);
  done_ = true;
  // Make the rename itself durable; failing here loses nothing that is not already in place, so it is not an error.
  const size_t slash = path_.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : slash == 0 ? "/" : path_.substr(0, slash);
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void AtomicFile::fail(const char* what, int error) {
  discard();
  ATTEND_CHECK(false, "{}: {} ({}): {} (the file was not written)", path_, what, temp_path_, std::strerror(error));
  __builtin_unreachable();
}

void AtomicFile::discard() noexcept {
  if (done_) return;
  done_ = true;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::unlink(temp_path_.c_str());
}

}  // namespace attend::detail
