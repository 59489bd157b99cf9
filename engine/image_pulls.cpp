#include "engine/image_pulls.h"

namespace jlrec {

namespace {

Status CheckOrPull(Provider& provider, const std::string& image, const ImagePulls::StepFn& on_step,
                   std::atomic<std::uint64_t>& mutating_calls) {
  Result<bool> present = provider.HasImage(image);
  if (!present.ok()) return present.status().WithContext("inspect image " + image);
  if (*present) return Status::Ok();
  on_step("pull " + image);
  ++mutating_calls;
  return provider.PullImage(image).WithContext("pull " + image);
}

}  // namespace

std::shared_ptr<ImagePulls::Cell> ImagePulls::CellFor(const std::string& host,
                                                      const std::string& image) {
  MutexLock lock(mu_);
  auto& cell = cells_[{host, image}];
  if (!cell) cell = std::make_shared<Cell>();
  return cell;
}

Status ImagePulls::Ensure(Provider& provider, const std::string& image, const StepFn& on_step,
                          std::atomic<std::uint64_t>& mutating_calls) {
  std::shared_ptr<Cell> cell = CellFor(provider.host(), image);
  {
    MutexLock lock(cell->mu);
    if (cell->claimed) {
      if (!cell->done) {
        on_step("wait for pull of " + image);
        lock.Wait(cell->cv, [&]() REQUIRES(cell->mu) { return cell->done; });
      }
      return cell->status;
    }
    cell->claimed = true;
  }
  // The check and pull run unlocked: they take seconds and others only need the result.
  Status status = CheckOrPull(provider, image, on_step, mutating_calls);
  {
    MutexLock lock(cell->mu);
    cell->status = status;
    cell->done = true;
  }
  cell->cv.notify_all();
  return status;
}

}  // namespace jlrec
