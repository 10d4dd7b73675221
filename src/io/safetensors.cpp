// Reading safetensors: memory-map the file, validate the header (safetensors_header.cpp), and make each tensor a
// view of the mapping. A tensor whose bytes are not aligned for its dtype (possible when a writer does not pad the
// header to 8 bytes, or packs a U8 tensor of odd length before an F32 one) is copied into aligned owned storage
// instead, so no misaligned load ever happens.
#include "attend/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "safetensors_header.hpp"

namespace attend {

namespace {

// A read-only file mapping, unmapped when the last tensor viewing it goes away. Mapped copy-on-write (MAP_PRIVATE,
// PROT_WRITE), so writing into a loaded tensor changes the tensor, never the file.
class Mapping {
 public:
  Mapping(void* address, size_t size) : address_(address), size_(size) {}
  ~Mapping() { ::munmap(address_, size_); }
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  unsigned char* bytes() const { return static_cast<unsigned char*>(address_); }

 private:
  void* address_;
  size_t size_;
};

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Builds the tensors. With a keepalive, aligned tensors borrow `bytes`; otherwise every tensor gets its own copy.
SafetensorsFile make_file(const unsigned char* bytes, size_t size, const std::string& name,
                          const std::shared_ptr<const void>& keepalive) {
  detail::SafetensorsHeader header = detail::parse_safetensors_header(bytes, size, name);
  SafetensorsFile file;
  file.metadata = std::move(header.metadata);
  for (const detail::SafetensorsEntry& entry : header.entries) {
    const size_t length = entry.end - entry.begin;
    const unsigned char* start = bytes + header.data_start + entry.begin;
    const bool aligned = reinterpret_cast<uintptr_t>(start) % dtype_size(entry.dtype) == 0;
    std::shared_ptr<Storage> storage;
    if (keepalive && aligned) {
      storage = std::make_shared<Storage>(const_cast<unsigned char*>(start), length, keepalive);
    } else {
      storage = std::make_shared<Storage>(length);
      if (length > 0) std::memcpy(storage->data(), start, length);
    }
    file.tensors.emplace(entry.name,
                         Tensor(std::move(storage), entry.dtype, entry.shape, contiguous_strides(entry.shape), 0));
  }
  return file;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path) {
  const FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  ATTEND_CHECK(fd.get() >= 0, "{}: cannot open: {}", path, std::strerror(errno));
  struct stat info {};
  ATTEND_CHECK(::fstat(fd.get(), &info) == 0, "{}: cannot stat: {}", path, std::strerror(errno));
  ATTEND_CHECK(!S_ISDIR(info.st_mode), "{}: cannot read: {}", path, std::strerror(EISDIR));
  ATTEND_CHECK(S_ISREG(info.st_mode), "{}: cannot read: not a regular file", path);
  const auto size = static_cast<size_t>(info.st_size);
  ATTEND_CHECK(size >= 8, "{}: file is {} bytes, too short for the 8-byte header length of a safetensors file", path,
               size);
  void* address = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get(), 0);
  ATTEND_CHECK(address != MAP_FAILED, "{}: cannot map {} bytes: {}", path, size, std::strerror(errno));
  const auto mapping = std::make_shared<const Mapping>(address, size);
  return make_file(mapping->bytes(), size, path, mapping);
}

SafetensorsFile parse_safetensors(const void* data, size_t size, const std::string& name) {
  ATTEND_CHECK(data != nullptr || size == 0, "{}: parse_safetensors given a null buffer of {} bytes", name, size);
  static const unsigned char kEmpty = 0;
  return make_file(data ? static_cast<const unsigned char*>(data) : &kEmpty, size, name, nullptr);
}

}  // namespace attend
