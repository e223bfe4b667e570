#include "server/rpc/targets.h"

#include <set>

namespace schemagate::rpc {

TargetRegistry::TargetRegistry(migrate::HistoryName history) : history_(std::move(history)) {}

std::shared_ptr<const BuildView> TargetRegistry::ViewFor(
    const std::shared_ptr<const catalog::Catalog>& c) {
  auto it = views_.find(c.get());
  if (it == views_.end()) it = views_.emplace(c.get(), std::make_shared<const BuildView>(c)).first;
  return it->second;
}

void TargetRegistry::Replace(std::vector<fleet::Target> targets, absl::Time loaded_at) {
  std::vector<std::shared_ptr<TargetEntry>> retired, redefined, added;
  std::function<void(const std::string&, bool)> health;
  {
    absl::MutexLock lock(&mu_);
    std::map<std::string, std::shared_ptr<TargetEntry>> next;
    for (fleet::Target& t : targets) {
      auto old = entries_.find(t.id);
      if (old != entries_.end() && old->second->target.SameDefinition(t) &&
          old->second->target.catalog == t.catalog) {
        next.emplace(t.id, old->second);
        continue;
      }
      if (next.count(t.id)) continue;  // a duplicate: each copy has its problem
      auto entry = std::make_shared<TargetEntry>();
      entry->target = std::move(t);
      if (entry->target.ok()) {
        entry->state = std::make_shared<ServiceState>(ViewFor(entry->target.catalog), history_,
                                                      entry->target.id);
      }
      if (old != entries_.end()) {
        redefined.push_back(old->second);
        entry->last_use_ns.store(old->second->last_use_ns.load());
      }
      added.push_back(entry);
      next.emplace(entry->target.id, std::move(entry));
    }
    for (auto& [id, entry] : entries_) {
      if (!next.count(id)) retired.push_back(entry);
    }
    entries_ = std::move(next);
    // Views no target uses any more go.
    std::set<const catalog::Catalog*> used;
    for (const auto& [id, entry] : entries_) used.insert(entry->target.catalog.get());
    for (auto it = views_.begin(); it != views_.end();) {
      it = used.count(it->first) ? std::next(it) : views_.erase(it);
    }
    // Monitors rebuild their view of the targets when this changes: only
    // when the set did (a reload of the same set changes nothing).
    if (!added.empty() || !retired.empty()) ++generation_;
    loaded_at_ = loaded_at;
    load_error_.clear();
    health = health_;
  }
  for (const auto& e : retired) {
    if (e->state) e->state->Retire(/*redefined=*/false);
    if (health) health(ServiceState::TargetServiceName(e->target.id), false);
  }
  for (const auto& e : redefined) {
    if (e->state) e->state->Retire(/*redefined=*/true);
  }
  for (const auto& e : added) {
    if (!health) continue;
    if (e->state) {
      e->state->SetHealthSink(health);
    } else {
      health(ServiceState::TargetServiceName(e->target.id), false);
    }
  }
}

void TargetRegistry::LoadFailed(const std::string& error, absl::Time at) {
  absl::MutexLock lock(&mu_);
  load_error_ = error;
  if (loaded_at_ == absl::InfinitePast()) loaded_at_ = at;
}

std::shared_ptr<TargetEntry> TargetRegistry::Find(const std::string& id) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<TargetEntry>> TargetRegistry::All() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<TargetEntry>> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) out.push_back(e);
  return out;
}

size_t TargetRegistry::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

uint64_t TargetRegistry::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

absl::Time TargetRegistry::loaded_at() const {
  absl::MutexLock lock(&mu_);
  return loaded_at_;
}

std::string TargetRegistry::load_error() const {
  absl::MutexLock lock(&mu_);
  return load_error_;
}

void TargetRegistry::SetHealthSink(std::function<void(const std::string&, bool)> sink) {
  std::vector<std::shared_ptr<TargetEntry>> all;
  {
    absl::MutexLock lock(&mu_);
    health_ = sink;
    for (const auto& [id, e] : entries_) all.push_back(e);
  }
  for (const auto& e : all) {
    if (e->state) {
      e->state->SetHealthSink(sink);
    } else if (sink) {
      sink(ServiceState::TargetServiceName(e->target.id), false);
    }
  }
}

}  // namespace schemagate::rpc
