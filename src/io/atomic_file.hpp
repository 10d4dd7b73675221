// Internal (io/): a file written all or nothing. Bytes go to "<path>.tmp.<pid>" in the same folder; commit() fsyncs
// it and renames it over `path`. Any failure, and destruction without commit(), removes the temporary file, so a
// reader never sees a partial file and a crash leaves the previous version intact.
//
// Usage:
//   AtomicFile out("model.safetensors");
//   out.write(header.data(), header.size());
//   out.commit();
// Two writers of the same path in one process at the same time would share the temporary name: don't.
#pragma once

#include <cstddef>
#include <string>

namespace attend::detail {

class AtomicFile {
 public:
  /// Creates the temporary file; throws attend::Error naming `path` and the errno text.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  /// Appends `size` bytes (retries short writes and EINTR); on failure removes the temporary file and throws.
  void write(const void* data, size_t size);
  /// fsync, close, rename over the path, fsync the folder; on failure removes the temporary file and throws.
  void commit();
  const std::string& temp_path() const { return temp_path_; }

 private:
  [[noreturn]] void fail(const char* what, int error);
  void discard() noexcept;

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool done_ = false;
};

}  // namespace attend::detail
