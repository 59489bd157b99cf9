// The metrics registry: the exact Prometheus text it writes (escaping, histogram buckets,
// order, numbers), what it refuses, and its use from many threads.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <thread>

#include "serve/metrics_registry.h"
#include "support/exposition.h"

using jlrec::Status;
using jlrec::serve::FormatMetricValue;
using jlrec::serve::MetricFamilyDef;
using jlrec::serve::MetricsRegistry;
using jlrec::serve::MetricType;
using jlrec::testing::ParseExposition;

namespace {

MetricFamilyDef Gauge(const std::string& name, std::vector<std::string> labels,
                      const std::string& help = "A gauge.") {
  return {MetricType::kGauge, name, help, std::move(labels), {}};
}
MetricFamilyDef Counter(const std::string& name, std::vector<std::string> labels) {
  return {MetricType::kCounter, name, "A counter.", std::move(labels), {}};
}
MetricFamilyDef Histogram(const std::string& name, std::vector<std::string> labels,
                          std::vector<double> buckets) {
  return {MetricType::kHistogram, name, "A histogram.", std::move(labels), std::move(buckets)};
}

}  // namespace

TEST_CASE("an empty registry and a family without series expose nothing", "[metrics]") {
  MetricsRegistry r;
  CHECK(r.Exposition().empty());
  REQUIRE(r.Add(Gauge("jlrec_up", {})).ok());
  CHECK(r.Exposition().empty());
}

TEST_CASE("a gauge is written with its HELP and TYPE lines and its labels in declared order",
          "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("jlrec_containers", {"project", "group"}, "Containers by group.")).ok());
  CHECK(r.Set("jlrec_containers", {"jl", "product"}, 3));
  CHECK(r.Exposition() ==
        "# HELP jlrec_containers Containers by group.\n"
        "# TYPE jlrec_containers gauge\n"
        "jlrec_containers{project=\"jl\",group=\"product\"} 3\n");
}

TEST_CASE("a series without labels is written without braces", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("jlrec_answer", {})).ok());
  CHECK(r.Set("jlrec_answer", {}, 0.25));
  CHECK(r.Exposition() ==
        "# HELP jlrec_answer A gauge.\n# TYPE jlrec_answer gauge\njlrec_answer 0.25\n");
}

TEST_CASE("label values escape backslash, double quote and newline", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("g", {"host"})).ok());
  CHECK(r.Set("g", {"a\\b\"c\nd"}, 1));
  const std::string text = r.Exposition();
  CHECK(text.find("g{host=\"a\\\\b\\\"c\\nd\"} 1\n") != std::string::npos);
  auto parsed = ParseExposition(text);
  INFO(parsed.error);
  REQUIRE(parsed.error.empty());
  CHECK(parsed.Value("g", {{"host", "a\\b\"c\nd"}}) == 1);
}

TEST_CASE("HELP text escapes backslash and newline but not double quotes", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("g", {}, "one \\ two\n\"three\"")).ok());
  CHECK(r.Set("g", {}, 1));
  CHECK(r.Exposition().rfind("# HELP g one \\\\ two\\n\"three\"\n", 0) == 0);
  auto parsed = ParseExposition(r.Exposition());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.helps["g"] == "one \\ two\n\"three\"");
}

TEST_CASE("a histogram writes cumulative buckets up to +Inf, then its sum and count", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Histogram("jlrec_refresh_seconds", {"project"}, {0.1, 1, 10})).ok());
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0}) CHECK(r.Observe("jlrec_refresh_seconds", {"jl"}, v));
  CHECK(r.Exposition() ==
        "# HELP jlrec_refresh_seconds A histogram.\n"
        "# TYPE jlrec_refresh_seconds histogram\n"
        "jlrec_refresh_seconds_bucket{project=\"jl\",le=\"0.1\"} 2\n"
        "jlrec_refresh_seconds_bucket{project=\"jl\",le=\"1\"} 3\n"
        "jlrec_refresh_seconds_bucket{project=\"jl\",le=\"10\"} 4\n"
        "jlrec_refresh_seconds_bucket{project=\"jl\",le=\"+Inf\"} 5\n"
        "jlrec_refresh_seconds_sum{project=\"jl\"} 55.65\n"
        "jlrec_refresh_seconds_count{project=\"jl\"} 5\n");
  CHECK(ParseExposition(r.Exposition()).error.empty());
}

TEST_CASE("a histogram without labels puts le alone in its buckets' braces", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Histogram("h", {}, {1})).ok());
  CHECK(r.Observe("h", {}, 2));
  CHECK(r.Exposition() ==
        "# HELP h A histogram.\n# TYPE h histogram\nh_bucket{le=\"1\"} 0\n"
        "h_bucket{le=\"+Inf\"} 1\nh_sum 2\nh_count 1\n");
}

TEST_CASE(
    "families are written sorted by name and series by label values, whatever the order "
    "of updates",
    "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("zeta", {"host"})).ok());
  REQUIRE(r.Add(Counter("alpha_total", {"host"})).ok());
  CHECK(r.Set("zeta", {"lab3"}, 3));
  CHECK(r.Set("zeta", {"lab1"}, 1));
  CHECK(r.Inc("alpha_total", {"lab2"}));
  CHECK(r.Set("zeta", {"lab2"}, 2));
  CHECK(r.Exposition() ==
        "# HELP alpha_total A counter.\n# TYPE alpha_total counter\n"
        "alpha_total{host=\"lab2\"} 1\n"
        "# HELP zeta A gauge.\n# TYPE zeta gauge\n"
        "zeta{host=\"lab1\"} 1\nzeta{host=\"lab2\"} 2\nzeta{host=\"lab3\"} 3\n");
}

TEST_CASE("numbers are written as the shortest text that reads back as the same double",
          "[metrics]") {
  CHECK(FormatMetricValue(0) == "0");
  CHECK(FormatMetricValue(3) == "3");
  CHECK(FormatMetricValue(0.05) == "0.05");
  CHECK(FormatMetricValue(-1.5) == "-1.5");
  CHECK(FormatMetricValue(1733050000) == "1733050000");
  CHECK(FormatMetricValue(1e21) == "1e+21");
  CHECK(FormatMetricValue(0.1 + 0.2) == "0.30000000000000004");
  CHECK(FormatMetricValue(INFINITY) == "+Inf");
  CHECK(FormatMetricValue(-INFINITY) == "-Inf");
  CHECK(FormatMetricValue(NAN) == "NaN");
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("g", {"k"})).ok());
  CHECK(r.Set("g", {"inf"}, INFINITY));
  CHECK(r.Set("g", {"nan"}, NAN));
  auto parsed = ParseExposition(r.Exposition());
  REQUIRE(parsed.error.empty());
  CHECK(std::isinf(*parsed.Value("g", {{"k", "inf"}})));
  CHECK(std::isnan(*parsed.Value("g", {{"k", "nan"}})));
}

TEST_CASE("a counter only goes up and a gauge moves both ways", "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Counter("c_total", {})).ok());
  REQUIRE(r.Add(Gauge("g", {})).ok());
  CHECK(r.Inc("c_total", {}, 0));
  CHECK(r.Exposition().find("c_total 0\n") != std::string::npos);  // shown before any event
  CHECK(r.Inc("c_total", {}, 2.5));
  CHECK_FALSE(r.Inc("c_total", {}, -1));
  CHECK_FALSE(r.Inc("c_total", {}, NAN));
  CHECK_FALSE(r.Set("c_total", {}, 0));  // a counter is never set
  CHECK(r.Inc("g", {}, -4));
  CHECK(r.Exposition() ==
        "# HELP c_total A counter.\n# TYPE c_total counter\nc_total 2.5\n"
        "# HELP g A gauge.\n# TYPE g gauge\ng -4\n");
}

TEST_CASE(
    "an update of an undeclared family, of the wrong type or with the wrong number of "
    "label values records nothing",
    "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("g", {"a", "b"})).ok());
  REQUIRE(r.Add(Histogram("h", {}, {1})).ok());
  CHECK_FALSE(r.Set("nope", {}, 1));
  CHECK_FALSE(r.Set("g", {"only one"}, 1));
  CHECK_FALSE(r.Set("g", {"1", "2", "3"}, 1));
  CHECK_FALSE(r.Observe("g", {"1", "2"}, 1));
  CHECK_FALSE(r.Set("h", {}, 1));
  CHECK_FALSE(r.Inc("h", {}));
  CHECK_FALSE(r.Observe("h", {}, NAN));
  CHECK(r.Exposition().empty());
}

TEST_CASE("a declaration with a bad name, label or buckets is refused", "[metrics]") {
  MetricsRegistry r;
  CHECK(r.Add(Gauge("", {})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("9lives", {})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("has-dash", {})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("rule:ok", {})).ok());  // recording rules' colons are allowed
  CHECK(r.Add(Gauge("g1", {"a:b"})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("g2", {"__reserved"})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("g3", {"a", "a"})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Histogram("h1", {"le"}, {1})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Histogram("h2", {}, {})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Histogram("h3", {}, {1, 1})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Histogram("h4", {}, {2, 1})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Histogram("h5", {}, {1, INFINITY})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add({MetricType::kGauge, "g4", "x", {}, {1}}).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("declaring a family again is harmless when equal and refused when different",
          "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Gauge("g", {"a"})).ok());
  REQUIRE(r.Set("g", {"x"}, 7));
  CHECK(r.Add(Gauge("g", {"a"})).ok());
  CHECK(r.Exposition().find("g{a=\"x\"} 7\n") != std::string::npos);  // kept
  CHECK(r.Add(Gauge("g", {"b"})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Counter("g", {"a"})).code() == Status::Code::kInvalidArgument);
  CHECK(r.Add(Gauge("g", {"a"}, "other help")).code() == Status::Code::kInvalidArgument);
  // A histogram's sample names are taken too, both ways.
  REQUIRE(r.Add(Histogram("lat", {}, {1})).ok());
  CHECK(r.Add(Counter("lat_count", {})).code() == Status::Code::kInvalidArgument);
  REQUIRE(r.Add(Gauge("other_sum", {})).ok());
  CHECK(r.Add(Histogram("other", {}, {1})).code() == Status::Code::kInvalidArgument);
}

TEST_CASE("replacing the series of one label value swaps them in one step and leaves the rest",
          "[metrics]") {
  MetricsRegistry live;
  REQUIRE(live.Add(Gauge("up", {"project", "host"})).ok());
  REQUIRE(live.Set("up", {"jl", "lab1"}, 1));
  REQUIRE(live.Set("up", {"jl", "lab9"}, 0));  // gone from the manifest since
  REQUIRE(live.Set("up", {"other", "lab1"}, 1));
  MetricsRegistry next;
  REQUIRE(next.Add(Gauge("up", {"project", "host"})).ok());
  REQUIRE(next.Add(Gauge("checked", {"project"})).ok());
  REQUIRE(next.Set("up", {"jl", "lab1"}, 0));
  REQUIRE(next.Set("up", {"jl", "lab2"}, 1));
  REQUIRE(next.Set("checked", {"jl"}, 12));
  REQUIRE(live.ReplaceSeries(next, "project", "jl").ok());
  CHECK(live.Exposition() ==
        "# HELP checked A gauge.\n# TYPE checked gauge\nchecked{project=\"jl\"} 12\n"
        "# HELP up A gauge.\n# TYPE up gauge\n"
        "up{project=\"jl\",host=\"lab1\"} 0\nup{project=\"jl\",host=\"lab2\"} 1\n"
        "up{project=\"other\",host=\"lab1\"} 1\n");

  MetricsRegistry clash;
  REQUIRE(clash.Add(Counter("up", {"project", "host"})).ok());
  const std::string before = live.Exposition();
  CHECK(live.ReplaceSeries(clash, "project", "jl").code() == Status::Code::kInvalidArgument);
  MetricsRegistry unlabelled;
  REQUIRE(unlabelled.Add(Gauge("lonely", {})).ok());
  CHECK(live.ReplaceSeries(unlabelled, "project", "jl").code() == Status::Code::kInvalidArgument);
  CHECK(live.Exposition() == before);
}

TEST_CASE("updates from many threads are all counted and every exposition meanwhile parses",
          "[metrics]") {
  MetricsRegistry r;
  REQUIRE(r.Add(Counter("requests_total", {"worker"})).ok());
  REQUIRE(r.Add(Histogram("latency_seconds", {}, {0.5, 1})).ok());
  REQUIRE(r.Add(Gauge("last", {})).ok());
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&r, t] {
      for (int i = 0; i < kEach; ++i) {
        r.Inc("requests_total", {"w" + std::to_string(t % 2)});
        r.Observe("latency_seconds", {}, (i % 3) * 0.5);
        r.Set("last", {}, i);
      }
    });
  }
  // The reader keeps reading until every writer is done (and at least 50 times).
  std::atomic<bool> written{false};
  int read = 0;
  std::string failure;
  std::thread reader([&] {
    for (; !written || read < 50; ++read) {
      auto parsed = ParseExposition(r.Exposition());
      if (!parsed.error.empty() && failure.empty()) failure = parsed.error;
    }
  });
  for (auto& t : threads) t.join();
  written = true;
  reader.join();
  CHECK(failure.empty());
  auto parsed = ParseExposition(r.Exposition());
  REQUIRE(parsed.error.empty());
  CHECK(parsed.Value("requests_total", {{"worker", "w0"}}) == 2 * kEach);
  CHECK(parsed.Value("requests_total", {{"worker", "w1"}}) == 2 * kEach);
  CHECK(parsed.Value("latency_seconds_count") == kThreads * kEach);
  // i % 3 == 0 -> 0, 1 -> 0.5 (both <= 0.5), 2 -> 1.0
  const double le_half = kThreads * ((kEach + 2) / 3 + (kEach + 1) / 3);
  CHECK(parsed.Value("latency_seconds_bucket", {{"le", "0.5"}}) == le_half);
  CHECK(parsed.Value("latency_seconds_bucket", {{"le", "1"}}) == kThreads * kEach);
}

TEST_CASE("the test reader refuses what Prometheus would refuse or misread", "[metrics]") {
  const auto error = [](const std::string& text) { return ParseExposition(text).error; };
  CHECK(error("# TYPE g gauge\ng 1\n").empty());
  CHECK_FALSE(error("# TYPE g gauge\ng 1").empty());                         // no final newline
  CHECK_FALSE(error("g 1\n").empty());                                       // no TYPE before it
  CHECK_FALSE(error("# TYPE g gauge\ng{a=\"\\x\"} 1\n").empty());            // unknown escape
  CHECK_FALSE(error("# TYPE g gauge\ng{a=\"x} 1\n").empty());                // unterminated
  CHECK_FALSE(error("# TYPE g gauge\ng one\n").empty());                     // not a number
  CHECK_FALSE(error("# TYPE g gauge\ng 1\ng 2\n").empty());                  // a repeated series
  CHECK_FALSE(error("# TYPE g gauge\n# TYPE h gauge\nh 1\ng 1\n").empty());  // split
  CHECK_FALSE(error("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\n"
                    "h_sum 1\nh_count 1\n")
                  .empty());  // not cumulative
  CHECK_FALSE(
      error("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n").empty());  // no +Inf
}
