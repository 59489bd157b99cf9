#include "cli/terminal_output.h"

#include <spdlog/details/log_msg.h>

#include <iostream>
#include <streambuf>

#include "model/mutex.h"
#include "model/terminal_text.h"

namespace jlrec::cli {

namespace {

// The filter in front of one standard stream. Unbuffered: every byte reaches Put, which
// holds the current line until its '\n' (or a flush) and then writes it escaped. As safe to
// write from several threads as the stdio stream it stands for (apply's progress comes from
// the executor's thread): each write holds the lock.
class FilterBuf : public std::streambuf {
 public:
  explicit FilterBuf(std::streambuf* target) : target_(target) {}
  ~FilterBuf() override {
    MutexLock hold(mu_);
    Emit();
  }

  std::streambuf* target() const { return target_; }

  // One of our own styles, into the line as it is.
  void AppendStyle(const char* code) {
    MutexLock hold(mu_);
    EscapePending();
    line_ += code;
  }

  // Text written as it is, after what is pending.
  void WriteThrough(std::string_view text) {
    MutexLock hold(mu_);
    Emit();
    target_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
  }

 protected:
  int_type overflow(int_type c) override {
    MutexLock hold(mu_);
    if (!traits_type::eq_int_type(c, traits_type::eof())) Put(traits_type::to_char_type(c));
    return traits_type::not_eof(c);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    MutexLock hold(mu_);
    for (std::streamsize i = 0; i < n; ++i) Put(s[i]);
    return n;
  }
  int sync() override {
    MutexLock hold(mu_);
    Emit();
    return target_->pubsync();
  }

 private:
  void Put(char c) REQUIRES(mu_) {
    if (c != '\n') {
      raw_ += c;
      return;
    }
    EscapePending();
    line_ += '\n';
    Emit();
  }
  void EscapePending() REQUIRES(mu_) {
    line_ += Printable(raw_);
    raw_.clear();
  }
  void Emit() REQUIRES(mu_) {
    EscapePending();
    target_->sputn(line_.data(), static_cast<std::streamsize>(line_.size()));
    line_.clear();
  }

  std::streambuf* const target_;
  Mutex mu_;
  std::string raw_ GUARDED_BY(mu_);   ///< the current line since the last style, unescaped
  std::string line_ GUARDED_BY(mu_);  ///< escaped text and styles, not yet written
};

// Escapes each message before the wrapped sink formats it.
class EscapingSink : public spdlog::sinks::sink {
 public:
  explicit EscapingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {
    set_level(inner_->level());
    inner_->set_level(spdlog::level::trace);
  }
  void log(const spdlog::details::log_msg& msg) override {
    const std::string safe = Printable(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg escaped = msg;
    escaped.payload = spdlog::string_view_t(safe.data(), safe.size());
    inner_->log(escaped);
  }
  void flush() override { inner_->flush(); }
  void set_pattern(const std::string& pattern) override { inner_->set_pattern(pattern); }
  void set_formatter(std::unique_ptr<spdlog::formatter> formatter) override {
    inner_->set_formatter(std::move(formatter));
  }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

}  // namespace

struct TerminalOutput::Filters {
  FilterBuf out{std::cout.rdbuf()};
  FilterBuf err{std::cerr.rdbuf()};
  std::streambuf* clog = std::clog.rdbuf();
};

TerminalOutput::TerminalOutput() : filters_(std::make_unique<Filters>()) {
  std::cout.rdbuf(&filters_->out);
  std::cerr.rdbuf(&filters_->err);
  std::clog.rdbuf(&filters_->err);
}

TerminalOutput::~TerminalOutput() {
  std::cout.flush();
  std::cerr.flush();
  std::cout.rdbuf(filters_->out.target());
  std::cerr.rdbuf(filters_->err.target());
  std::clog.rdbuf(filters_->clog);
}

std::ostream& operator<<(std::ostream& os, Style style) {
  if (auto* filter = dynamic_cast<FilterBuf*>(os.rdbuf()))
    filter->AppendStyle(style.code);
  else
    os << style.code;
  return os;
}

void WriteVerbatim(std::ostream& os, std::string_view text) {
  if (auto* filter = dynamic_cast<FilterBuf*>(os.rdbuf()))
    filter->WriteThrough(text);
  else
    os << text;
}

std::string JsonText(const nlohmann::json& doc, int indent) {
  return doc.dump(indent, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace);
}

std::shared_ptr<spdlog::sinks::sink> PrintableSink(std::shared_ptr<spdlog::sinks::sink> sink) {
  return std::make_shared<EscapingSink>(std::move(sink));
}

}  // namespace jlrec::cli
