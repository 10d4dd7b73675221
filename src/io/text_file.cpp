// write_text_file through AtomicFile (see the header).
#include "attend/io/text_file.hpp"

#include "atomic_file.hpp"

namespace attend {

void write_text_file(const std::string& path, std::string_view text) {
  detail::AtomicFile out(path);
  out.write(text.data(), text.size());
  out.commit();
}

}  // namespace attend
