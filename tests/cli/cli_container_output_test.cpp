// A container's output on jlrec's stdout and stderr (cli/container_streams.h): tabs and CR LF
// read as written, characters cut between two reads kept whole, logs copied from a provider.
#include <catch2/catch.hpp>

#include <sstream>
#include <thread>

#include "cli/container_streams.h"
#include "support/fake_provider.h"

namespace jlrec::cli {
namespace {

// What a ContainerTextWriter makes of `pieces` written one after the other.
std::string Written(const std::vector<std::string>& pieces) {
  std::ostringstream os;
  ContainerTextWriter writer(os);
  for (const auto& piece : pieces) writer.Write(piece);
  writer.Finish();
  return os.str();
}

TEST_CASE("tabs become the spaces to the next tab stop and CR LF a line break",
          "[cli][container-output]") {
  CHECK(Written({"\tat Foo.bar(Foo.java:12)\r\n"}) == "        at Foo.bar(Foo.java:12)\n");
  CHECK(Written({"ab\tc\td\n\tx"}) == "ab      c       d\n        x");
  // Columns count characters, not bytes.
  CHECK(Written({"\xE8\xAE\xA1\xE9\x87\x8F\t|"}) == "\xE8\xAE\xA1\xE9\x87\x8F      |");
}

TEST_CASE("a CR LF or a UTF-8 character cut between two reads is written whole",
          "[cli][container-output]") {
  CHECK(Written({"line\r", "\nnext\n"}) == "line\nnext\n");
  const std::string chars = "\xE8\xAE\xA1\xE9\x87\x8F\n";  // two 3-byte characters
  for (std::size_t cut = 0; cut <= chars.size(); ++cut) {
    std::ostringstream os;
    ContainerTextWriter writer(os);
    writer.Write(chars.substr(0, cut));
    const std::string first = os.str();
    writer.Write(chars.substr(cut));
    INFO("cut at " << cut);
    CHECK(os.str() == chars);
    // What was written first ends on a character boundary.
    CHECK((first.empty() || first == "\xE8\xAE\xA1" || first == chars.substr(0, 6) ||
           first == chars));
  }
}

TEST_CASE("what a terminal would act on is left for the filter, a lone CR and broken UTF-8 too",
          "[cli][container-output]") {
  CHECK(Written({"\x1b[2J\rprogress 50%\r\n"}) == "\x1b[2J\rprogress 50%\n");
  CHECK(Written({"bad \xFF byte\n"}) == "bad \xFF byte\n");
  // A character cut by the end of the output stays cut (the filter shows its bytes).
  CHECK(Written({"end \xE8\xAE"}) == "end \xE8\xAE");
  CHECK(Written({"end\r"}) == "end\r");
}

TEST_CASE("each piece is flushed as it comes, so a prompt without a newline shows",
          "[cli][container-output]") {
  std::ostringstream os;
  ContainerTextWriter writer(os);
  writer.Write("password? ");
  CHECK(os.str() == "password? ");
}

// A host with one running container, `web`, whose log holds three lines.
struct LoggingHost {
  LoggingHost() {
    FakeContainer c;
    c.live.name = "web";
    c.live.state = "running";
    fake.AddContainer(c);
    fake.AppendLog("web", OutputStream::kStdout, "first\n");
    fake.AppendLog("web", OutputStream::kStderr, "warning\tdisk\n");
    fake.AppendLog("web", OutputStream::kStdout, "last\n");
    desired.hosts["h1"].key = "h1";
    DesiredContainer web;
    web.host = "h1";
    web.name = "web";
    desired.containers.push_back(web);
  }
  FakeProvider fake{"h1"};
  DesiredState desired;
  std::ostringstream out, err;
};

TEST_CASE("CopyLogs writes the container's stdout and stderr to ours, the tail when asked",
          "[cli][container-output]") {
  LoggingHost host;
  REQUIRE(CopyLogs(host.fake, host.desired, ContainerRef{"h1", "web", true}, {}, host.out, host.err)
              .ok());
  CHECK(host.out.str() == "first\nlast\n");
  CHECK(host.err.str() == "warning disk\n");

  LoggingHost tail;
  LogsRequest last_two;
  last_two.tail = 2;
  REQUIRE(CopyLogs(tail.fake, tail.desired, ContainerRef{"h1", "web", true}, last_two, tail.out,
                   tail.err)
              .ok());
  CHECK(tail.out.str() == "last\n");
  CHECK(tail.err.str() == "warning disk\n");
}

TEST_CASE("CopyLogs following a log shows lines written later and stops when interrupted",
          "[cli][container-output]") {
  LoggingHost host;
  std::atomic<bool> stop{false};
  LogsRequest follow;
  follow.follow = true;
  follow.tail = 0;
  follow.interrupted = [&stop] { return stop.load(); };
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    host.fake.AppendLog("web", OutputStream::kStdout, "written later\n");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    stop = true;
  });
  const Status st = CopyLogs(host.fake, host.desired, ContainerRef{"h1", "web", true}, follow,
                             host.out, host.err);
  writer.join();
  CHECK(st.code() == Status::Code::kCancelled);
  CHECK(host.out.str() == "written later\n");
}

TEST_CASE("CopyLogs of a container the host lacks says so with the manifest's near names",
          "[cli][container-output]") {
  LoggingHost host;
  const Status st =
      CopyLogs(host.fake, host.desired, ContainerRef{"h1", "wbe", false}, {}, host.out, host.err);
  CHECK(st.code() == Status::Code::kNotFound);
  CHECK(st.message() == "no container wbe on h1 (did you mean 'h1/web'?)");
}

}  // namespace
}  // namespace jlrec::cli
