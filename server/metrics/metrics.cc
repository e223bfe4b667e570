#include "server/metrics/metrics.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "prometheus/gauge.h"
#include "prometheus/text_serializer.h"

#ifndef SCHEMAGATE_VERSION
#define SCHEMAGATE_VERSION "unknown"
#endif

namespace schemagate::metrics {

const char kVersion[] = SCHEMAGATE_VERSION;

void AddBuildInfo(prometheus::Registry& registry, const BuildInfo& info) {
  prometheus::BuildGauge()
      .Name("schemagate_build_info")
      .Help("The schemagate build: version and compiled features (always 1).")
      .Register(registry)
      .Add({{"version", info.version}, {"features", info.features}})
      .Set(1);
}

void ScrapeGauges::Add(std::string name, std::string help, Samples samples) {
  families_.push_back({std::move(name), std::move(help), std::move(samples)});
}

std::vector<prometheus::MetricFamily> ScrapeGauges::Collect() const {
  std::vector<prometheus::MetricFamily> out;
  for (const Family& f : families_) {
    prometheus::MetricFamily family;
    family.name = f.name;
    family.help = f.help;
    family.type = prometheus::MetricType::Gauge;
    for (const Sample& s : f.samples()) {
      prometheus::ClientMetric m;
      for (const auto& [name, value] : s.labels) m.label.push_back({name, value});
      m.gauge.value = s.value;
      family.metric.push_back(std::move(m));
    }
    out.push_back(std::move(family));
  }
  return out;
}

std::string TextExposition(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables) {
  std::vector<prometheus::MetricFamily> families;
  for (const auto& c : collectables) {
    std::vector<prometheus::MetricFamily> got = c->Collect();
    families.insert(families.end(), std::make_move_iterator(got.begin()),
                    std::make_move_iterator(got.end()));
  }
  return prometheus::TextSerializer().Serialize(families);
}

absl::Status WriteTextfile(
    const std::vector<std::shared_ptr<prometheus::Collectable>>& collectables,
    const std::string& path) {
  const std::string text = TextExposition(collectables);
  const std::string tmp = absl::StrCat(path, ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
      std::remove(tmp.c_str());
      return absl::InvalidArgumentError(
          absl::StrCat("--metrics-file ", path, ": cannot write ", tmp));
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics-file ", path, ": cannot rename ", tmp, " to it"));
  }
  return absl::OkStatus();
}

}  // namespace schemagate::metrics
