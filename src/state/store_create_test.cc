// Store::create under races and after a create killed half-way.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "state/store.h"

namespace berth::state {
namespace {

std::string make_tmp() {
  std::string tmpl = "/tmp/berth-store-create.XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return "";
  return tmpl;
}

TEST(StoreCreate, OneOfManyRacingCreatesWins) {
  std::string tmp = make_tmp();
  ASSERT_FALSE(tmp.empty());
  Store store(tmp + "/root");
  std::atomic<int> won{0}, taken{0};
  std::vector<std::thread> threads;
  std::vector<std::optional<ContainerDir>> held(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto d = store.create("same");
      if (d) {
        won++;
        held[i].emplace(std::move(*d));  // keeps the lock until the end
      } else if (d.error().kind == ErrorKind::kAlreadyExists) {
        taken++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(taken.load(), 7);
  // Only the container's directory: no temp directory is left over.
  auto ids = store.list();
  ASSERT_TRUE(ids);
  EXPECT_EQ(*ids, std::vector<std::string>{"same"});
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp + "/root")) {
    (void)e;
    entries++;
  }
  EXPECT_EQ(entries, 1);
  std::filesystem::remove_all(tmp);
}

TEST(StoreCreate, SweepRemovesOnlyUnlockedTempDirectories) {
  std::string tmp = make_tmp();
  ASSERT_FALSE(tmp.empty());
  std::string root = tmp + "/root";
  ASSERT_EQ(::mkdir(root.c_str(), 0700), 0);
  // One left by a create that was killed, one still being made (locked).
  ASSERT_EQ(::mkdir((root + "/~create-dead01").c_str(), 0700), 0);
  ASSERT_EQ(::mkdir((root + "/~create-live01").c_str(), 0700), 0);
  int live = ::open((root + "/~create-live01").c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(live, 0);
  ASSERT_EQ(::flock(live, LOCK_EX), 0);
  Store(root).sweep();
  struct stat sb;
  EXPECT_NE(::stat((root + "/~create-dead01").c_str(), &sb), 0);
  EXPECT_EQ(::stat((root + "/~create-live01").c_str(), &sb), 0);
  ::close(live);
  // Temp names are never listed as containers.
  auto ids = Store(root).list();
  ASSERT_TRUE(ids);
  EXPECT_TRUE(ids->empty());
  std::filesystem::remove_all(tmp);
}

}  // namespace
}  // namespace berth::state
