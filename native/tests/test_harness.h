// A small test harness for the standalone C++ tests (ctest runs each executable).
//   TEST(name) { CHECK(cond); CHECK_EQ(a, b); CHECK_NEAR(a, b, tol); SKIP("why"); }
// main() is provided by TOME_TEST_MAIN(); it prints "N passed, N failed, N skipped"
// and exits 1 on any failure, 77 (ctest's skip code) when every test skipped.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "common/error.h"

namespace tome_test {

struct Case { const char* name; std::function<void()> fn; };
inline std::vector<Case>& registry() { static std::vector<Case> r; return r; }
struct Register { Register(const char* n, std::function<void()> f) { registry().push_back({n, std::move(f)}); } };

struct Failure { std::string what; };
struct Skipped { std::string why; };

// Root of the test data (models/, books/): $TOME_TEST_DATA, else ../shared beside the checkout.
inline std::string data_dir() {
  if (const char* env = std::getenv("TOME_TEST_DATA")) return env;
#ifdef TOME_SOURCE_ROOT
  return std::string(TOME_SOURCE_ROOT) + "/../shared";
#else
  return "../shared";
#endif
}

inline int run_all(int argc, char** argv) {
  int passed = 0, failed = 0, skipped = 0;
  const char* only = argc > 1 ? argv[1] : nullptr;
  for (auto& c : registry()) {
    if (only && std::string(c.name).find(only) == std::string::npos) continue;
    try {
      c.fn();
      ++passed;
      std::printf("ok   %s\n", c.name);
    } catch (const Skipped& s) {
      ++skipped;
      std::printf("skip %s: %s\n", c.name, s.why.c_str());
    } catch (const Failure& f) {
      ++failed;
      std::printf("FAIL %s: %s\n", c.name, f.what.c_str());
    } catch (const tome::Error& e) {
      ++failed;
      std::printf("FAIL %s: uncaught tome::Error [%s] %s\n", c.name, e.code().c_str(), e.what());
    } catch (const std::exception& e) {
      ++failed;
      std::printf("FAIL %s: uncaught exception %s\n", c.name, e.what());
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  if (failed) return 1;
  if (passed == 0 && skipped > 0) return 77;
  return 0;
}

template <class A, class B>
std::string describe(const A& a, const B& b) {
  std::ostringstream os;
  os << a << " vs " << b;
  return os.str();
}

}  // namespace tome_test

#define TOME_CAT2(a, b) a##b
#define TOME_CAT(a, b) TOME_CAT2(a, b)
#define TEST(name)                                                              \
  static void name();                                                           \
  static tome_test::Register TOME_CAT(reg_, name)(#name, name);                 \
  static void name()
#define TOME_FAIL(msg)                                                          \
  throw tome_test::Failure{std::string(__FILE__) + ":" + std::to_string(__LINE__) + ": " + (msg)}
#define CHECK(cond) do { if (!(cond)) TOME_FAIL("CHECK(" #cond ")"); } while (0)
#define CHECK_EQ(a, b) do { auto _a = (a); auto _b = (b); \
  if (!(_a == _b)) TOME_FAIL("CHECK_EQ(" #a ", " #b "): " + tome_test::describe(_a, _b)); } while (0)
#define CHECK_NEAR(a, b, tol) do { double _a = (a), _b = (b); \
  if (!(std::fabs(_a - _b) <= (tol))) TOME_FAIL("CHECK_NEAR(" #a ", " #b "): " + tome_test::describe(_a, _b)); } while (0)
// The block must throw tome::Error whose code equals `code`.
#define CHECK_THROWS_CODE(stmt, expected_code) do { bool _thrown = false; \
  try { stmt; } catch (const tome::Error& _e) { _thrown = true; \
    if (_e.code() != (expected_code)) TOME_FAIL("expected code " + std::string(expected_code) + ", got " + _e.code() + ": " + _e.what()); } \
  if (!_thrown) TOME_FAIL("expected tome::Error " + std::string(expected_code) + " from " #stmt); } while (0)
#define SKIP(why) throw tome_test::Skipped{why}
#define TOME_TEST_MAIN() int main(int argc, char** argv) { return tome_test::run_all(argc, argv); }
