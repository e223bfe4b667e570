#include "server/rpc/fleet_monitor.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "server/util/log.h"

namespace schemagate::rpc {

FleetMonitor::FleetMonitor(TargetRegistry* registry, migrate::ConnectOptions connect,
                           FleetMonitorOptions options)
    : registry_(registry), connect_(std::move(connect)), options_(options) {}

FleetMonitor::~FleetMonitor() { Stop(); }

void FleetMonitor::Start() {
  for (size_t i = 0; i < std::max<size_t>(options_.pollers, 1); ++i) {
    threads_.emplace_back([this] { Poll(); });
  }
  threads_.emplace_back([this] { Rebalance(); });
}

void FleetMonitor::Stop() {
  stop_ = true;
  std::vector<std::unique_ptr<Monitor>> listeners;
  {
    absl::MutexLock lock(&mu_);
    wake_ = true;
    for (migrate::Connection* c : in_use_) c->Abort();  // a read may never be answered
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
  {
    absl::MutexLock lock(&mu_);
    for (auto& s : slots_) {
      if (s->listener) listeners.push_back(std::move(s->listener));
    }
    for (auto& m : retired_listeners_) listeners.push_back(std::move(m));
    retired_listeners_.clear();
  }
  for (auto& m : listeners) m->Stop();
}

migrate::ConnectOptions FleetMonitor::ConnectFor(const TargetEntry& e) const {
  migrate::ConnectOptions c = connect_;
  c.url = e.target.url;
  c.timeout = absl::ZeroDuration();  // one attempt: the schedule retries
  c.attempt_timeout = std::min(c.attempt_timeout, absl::Seconds(2));
  c.on_retry = nullptr;
  return c;
}

void FleetMonitor::Sync() {
  const uint64_t generation = registry_->generation();
  if (generation == generation_) return;
  generation_ = generation;
  // The round robin goes on where it was: restarting it at the first target
  // on every reload of the set (each --targets-refresh) would starve the
  // targets a round does not reach within one refresh.
  const TargetEntry* at = cursor_ < slots_.size() ? slots_[cursor_]->entry.get() : nullptr;
  std::map<TargetEntry*, std::unique_ptr<Slot>> old;
  for (auto& s : slots_) old.emplace(s->entry.get(), std::move(s));
  slots_.clear();
  by_id_.clear();
  for (std::shared_ptr<TargetEntry>& e : registry_->All()) {
    if (!e->state) continue;  // a problem: nothing to read
    auto it = old.find(e.get());
    std::unique_ptr<Slot> slot;
    if (it != old.end()) {
      slot = std::move(it->second);
      old.erase(it);
    } else {
      slot = std::make_unique<Slot>();
      slot->entry = e;
    }
    by_id_[e->target.id] = slot.get();
    slots_.push_back(std::move(slot));
  }
  // Removed or redefined targets: their listeners stop (outside the lock,
  // by Rebalance, which finds them here).
  for (auto& [entry, slot] : old) {
    if (slot->listener) retired_listeners_.push_back(std::move(slot->listener));
  }
  cursor_ = 0;
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]->entry.get() == at) cursor_ = i;
  }
}

FleetMonitor::Slot* FleetMonitor::Pick(absl::Duration* wait) {
  Sync();
  while (!urgent_.empty()) {
    auto it = by_id_.find(urgent_.front());
    urgent_.pop_front();
    if (it == by_id_.end()) continue;
    it->second->queued = false;
    if (!it->second->busy && !it->second->listener) return it->second;
  }
  const absl::Time now = absl::Now();
  absl::Time next = now + absl::Seconds(1);
  const size_t n = slots_.size();
  for (size_t k = 0; k < n; ++k) {
    size_t i = (cursor_ + k) % n;
    Slot* s = slots_[i].get();
    if (s->busy || s->listener) continue;
    if (s->due <= now) {
      cursor_ = i + 1;
      return s;
    }
    next = std::min(next, s->due);
  }
  *wait = std::max(next - now, absl::Milliseconds(10));
  return nullptr;
}

void FleetMonitor::Poll() {
  while (!stop_) {
    std::shared_ptr<TargetEntry> entry;
    {
      absl::MutexLock lock(&mu_);
      absl::Duration wait;
      Slot* slot = Pick(&wait);
      if (slot == nullptr) {
        mu_.AwaitWithTimeout(absl::Condition(&wake_), wait);
        wake_ = false;
        continue;
      }
      slot->busy = true;
      entry = slot->entry;
    }
    ServiceState* state = entry->state.get();
    bool ok = false;
    absl::StatusOr<std::unique_ptr<migrate::Connection>> conn =
        migrate::Connection::Open(ConnectFor(*entry));
    if (!conn.ok()) {
      PublishUnreachable(state, std::string(conn.status().message()));
    } else {
      {
        absl::MutexLock lock(&mu_);
        in_use_.push_back(conn->get());
        if (stop_) (*conn)->Abort();
      }
      ok = ReadHistoryInto(state, conn->get(), options_.statement_timeout) &&
           state->snapshot()->reachable;
      absl::MutexLock lock(&mu_);
      in_use_.erase(std::find(in_use_.begin(), in_use_.end(), conn->get()));
    }
    if (conn.ok()) conn->reset();  // closes it
    absl::MutexLock lock(&mu_);
    ++reads_;
    if (!ok) ++failures_;
    auto it = by_id_.find(entry->target.id);
    if (it == by_id_.end() || it->second->entry != entry) continue;  // removed meanwhile
    Slot* s = it->second;
    s->busy = false;
    if (ok) {
      s->failures = 0;
      s->due = absl::Now() + options_.poll_interval;
    } else {
      ++s->failures;
      absl::Duration delay = options_.poll_interval * std::pow(2.0, std::min(s->failures - 1, 16));
      s->due =
          absl::Now() + std::min(delay, std::max(options_.max_backoff, options_.poll_interval));
    }
  }
}

void FleetMonitor::Rebalance() {
  while (!stop_) {
    std::vector<std::unique_ptr<Monitor>> stopping;
    {
      absl::MutexLock lock(&mu_);
      Sync();
      for (auto& m : retired_listeners_) stopping.push_back(std::move(m));
      retired_listeners_.clear();
      const int64_t now_ns = absl::GetCurrentTimeNanos();
      const int64_t hot_ns = absl::ToInt64Nanoseconds(options_.hot_for);
      auto watched = [](const Slot& s) { return s.entry->state->subscribers() > 0; };
      auto recent = [&](const Slot& s) {
        return now_ns - s.entry->last_use_ns.load(std::memory_order_relaxed) < hot_ns;
      };
      size_t listening = 0;
      std::vector<Slot*> candidates;
      for (auto& up : slots_) {
        Slot& s = *up;
        bool qualifies = watched(s) || recent(s);
        if (s.listener && !qualifies) {
          stopping.push_back(std::move(s.listener));
          s.due = absl::Now() + options_.poll_interval;  // it was fresh
        } else if (s.listener) {
          ++listening;
        } else if (qualifies && !s.busy) {
          candidates.push_back(&s);
        }
      }
      std::sort(candidates.begin(), candidates.end(), [&](const Slot* a, const Slot* b) {
        bool wa = watched(*a), wb = watched(*b);
        if (wa != wb) return wa;
        return a->entry->last_use_ns.load() > b->entry->last_use_ns.load();
      });
      for (Slot* s : candidates) {
        if (listening >= options_.listeners) break;
        s->listener =
            std::make_unique<Monitor>(s->entry->state.get(), ConnectFor(*s->entry),
                                      options_.listen_poll_interval, options_.statement_timeout);
        s->listener->Start();
        ++listening;
      }
    }
    for (auto& m : stopping) m->Stop();
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&wake_), options_.rebalance_every);
    wake_ = false;
  }
}

void FleetMonitor::Refresh(const std::string& id) {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  if (it != by_id_.end() && it->second->listener) {
    it->second->listener->Refresh();
    return;
  }
  if (it != by_id_.end() && !it->second->queued) {
    it->second->queued = true;
    urgent_.push_back(id);
  } else if (it == by_id_.end()) {
    urgent_.push_back(id);  // a target added since the last Sync
  }
  wake_ = true;
}

void FleetMonitor::Used(TargetEntry& entry) {
  entry.Touch();
  if (entry.state && !entry.state->snapshot()->known) Refresh(entry.target.id);
}

std::string FleetMonitor::Monitoring(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = by_id_.find(id);
  return it != by_id_.end() && it->second->listener ? "listen" : "poll";
}

FleetMonitor::Stats FleetMonitor::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s;
  s.targets = slots_.size();
  for (const auto& slot : slots_) s.listening += slot->listener != nullptr;
  s.reads = reads_;
  s.read_failures = failures_;
  return s;
}

}  // namespace schemagate::rpc
