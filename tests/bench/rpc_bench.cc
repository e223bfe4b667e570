// RPC load generator for scripts/bench/rpc.sh: for each RPC and concurrency
// (closed loop: each caller sends its next request when the last returns),
// throughput and p50/p99 latency, next to grpc.health.v1 Check on the same
// server in the same run (the empty-RPC limit of this machine), and the
// server's resident memory idle and under load.
//
//   rpc_bench --target 127.0.0.1:50051 --pid <server pid> [--duration 3s]
//             [--samples SECTION] [--only RPC] [--callers 1,8,64]
//
// With --samples, prints measurements as sample lines for
// scripts/bench/stats.py (SECTION, "", "<RPC>|<callers>|rps|p50|p99", value)
// and the server's RSS in MiB as SECTION_rss samples ("idle", "max under
// load", "after load"), instead of a markdown table.
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/client_unary_call.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "schemagate/v1/schemagate.grpc.pb.h"
#include "server/util/cli.h"

namespace {

using Clock = std::chrono::steady_clock;

long RssKb(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

struct Result {
  double rps = 0, p50_us = 0, p99_us = 0;
  long errors = 0;
  long max_rss_kb = 0;
};

// Channels shared by callers: one HTTP/2 connection per 8 callers.
std::vector<std::shared_ptr<grpc::Channel>> Channels(const std::string& target, int callers) {
  std::vector<std::shared_ptr<grpc::Channel>> out;
  for (int i = 0; i < (callers + 7) / 8; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("grpc.channel_id", i);  // distinct connections
    out.push_back(grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args));
  }
  return out;
}

using Call = std::function<bool(const std::shared_ptr<grpc::Channel>&)>;

Result Run(const std::string& target, int callers, double seconds, int pid, const Call& call) {
  auto channels = Channels(target, callers);
  // Warm up each connection.
  for (auto& c : channels) call(c);
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<int64_t>> latencies(callers);
  std::atomic<long> max_rss{0};
  std::thread sampler([&] {
    while (!stop) {
      long rss = RssKb(pid);
      long prev = max_rss.load();
      while (rss > prev && !max_rss.compare_exchange_weak(prev, rss)) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int i = 0; i < callers; ++i) {
    threads.emplace_back([&, i] {
      auto& channel = channels[i / 8];
      latencies[i].reserve(100000);
      while (!stop) {
        auto t0 = Clock::now();
        bool ok = call(channel);
        auto t1 = Clock::now();
        if (!ok) ++errors;
        latencies[i].push_back(
            std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  sampler.join();
  std::vector<int64_t> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  Result r;
  r.rps = all.size() / elapsed;
  r.p50_us = all.empty() ? 0 : all[all.size() / 2] / 1000.0;
  r.p99_us = all.empty() ? 0 : all[std::min(all.size() - 1, all.size() * 99 / 100)] / 1000.0;
  r.errors = errors;
  r.max_rss_kb = max_rss;
  return r;
}

std::chrono::system_clock::time_point Deadline() {
  return std::chrono::system_clock::now() + std::chrono::seconds(10);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace schemagate;
  std::string target = "127.0.0.1:50051";
  int64_t pid = 0;
  double seconds = 3;
  std::string only;
  std::string samples;
  absl::Duration duration = absl::Seconds(3);
  cli::FlagSet flags("rpc_bench", "RPC throughput and latency vs the health Check RPC.");
  flags.String("target", &target, "server HOST:PORT");
  flags.Int("pid", &pid, "server process id (for its memory)");
  flags.Duration("duration", &duration, "per measurement");
  flags.String("only", &only, "run only this RPC");
  flags.String("samples", &samples,
               "print sample lines for scripts/bench/stats.py under this section");
  std::vector<std::string> caller_counts = {"1", "8", "64"};
  flags.List("callers", &caller_counts, "concurrent callers to measure (comma-separated)");
  if (int code = flags.Finish(flags.Parse({argv + 1, argv + argc}), 0, 2); code >= 0) {
    return code;
  }
  seconds = absl::ToDoubleSeconds(duration);

  v1::CheckTablesRequest check;
  check.add_tables("crm_contacts");
  check.add_tables("users");
  v1::ValidateJoinRequest join;
  join.add_tables("tasks");
  join.add_tables("projects");
  v1::ValidateQueryRequest query;
  query.set_sql(
      "SELECT t.id, t.title, u.email, p.name FROM tasks t JOIN users u ON "
      "t.assignee_id = u.id JOIN projects p ON p.id = t.project_id LEFT JOIN "
      "task_comments tc ON tc.task_id = t.id WHERE t.status = 'open' AND EXISTS "
      "(SELECT 1 FROM task_watchers w WHERE w.task_id = t.id AND w.user_id = $1) "
      "ORDER BY t.due_at LIMIT 50");

  std::vector<std::pair<std::string, Call>> calls = {
      {"health Check (limit)",
       [](const std::shared_ptr<grpc::Channel>& ch) {
         thread_local std::unique_ptr<grpc::health::v1::Health::Stub> stub;
         thread_local grpc::Channel* for_channel = nullptr;
         if (for_channel != ch.get()) {
           stub = grpc::health::v1::Health::NewStub(ch);
           for_channel = ch.get();
         }
         grpc::ClientContext ctx;
         ctx.set_deadline(Deadline());
         grpc::health::v1::HealthCheckRequest req;
         grpc::health::v1::HealthCheckResponse resp;
         return stub->Check(&ctx, req, &resp).ok();
       }},
  };
  auto schemagate_call = [](auto method) {
    return [method](const std::shared_ptr<grpc::Channel>& ch) {
      thread_local std::unique_ptr<v1::SchemaGate::Stub> stub;
      thread_local grpc::Channel* for_channel = nullptr;
      if (for_channel != ch.get()) {
        stub = v1::SchemaGate::NewStub(ch);
        for_channel = ch.get();
      }
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline());
      return method(stub.get(), &ctx).ok();
    };
  };
  calls.push_back({"CheckTables (2 tables)",
                   schemagate_call([&](v1::SchemaGate::Stub* s, grpc::ClientContext* c) {
                     v1::CheckTablesResponse r;
                     return s->CheckTables(c, check, &r);
                   })});
  calls.push_back({"ValidateJoin (direct pair)",
                   schemagate_call([&](v1::SchemaGate::Stub* s, grpc::ClientContext* c) {
                     v1::ValidateJoinResponse r;
                     return s->ValidateJoin(c, join, &r);
                   })});
  calls.push_back({"ValidateQuery (300 chars)",
                   schemagate_call([&](v1::SchemaGate::Stub* s, grpc::ClientContext* c) {
                     v1::ValidateQueryResponse r;
                     return s->ValidateQuery(c, query, &r);
                   })});
  // The same query made distinct by a counter in a comment: every call a
  // new text, so none is answered from the server's response cache (what
  // parsing and checking a query costs; the row above is what repeating
  // one costs).
  std::atomic<uint64_t> distinct{0};
  calls.push_back({"ValidateQuery (300 chars, each call distinct)",
                   schemagate_call([&](v1::SchemaGate::Stub* s, grpc::ClientContext* c) {
                     v1::ValidateQueryRequest q = query;
                     q.mutable_sql()->append(absl::StrCat(" /* ", distinct++, " */"));
                     v1::ValidateQueryResponse r;
                     return s->ValidateQuery(c, q, &r);
                   })});
  calls.push_back(
      {"ListClusters", schemagate_call([&](v1::SchemaGate::Stub* s, grpc::ClientContext* c) {
         v1::ListClustersResponse r;
         return s->ListClusters(c, v1::ListClustersRequest(), &r);
       })});

  // ListClusters again, its answer received as bytes and not decoded: the
  // server's side of the call alone. The row above adds the typed client's
  // decoding of the ~6 KB answer, which runs on the same two cores as the
  // server here (the health Check's answer is 2 bytes).
  calls.push_back(
      {"ListClusters (answer not decoded by the client)",
       [](const std::shared_ptr<grpc::Channel>& ch) {
         static const grpc::internal::RpcMethod method("/schemagate.v1.SchemaGate/ListClusters",
                                                       grpc::internal::RpcMethod::NORMAL_RPC);
         static const grpc::ByteBuffer request = [] {
           grpc::ByteBuffer b;
           bool own = false;
           (void)grpc::GenericSerialize<grpc::ProtoBufferWriter, v1::ListClustersRequest>(
               v1::ListClustersRequest(), &b, &own);
           return b;
         }();
         grpc::ClientContext ctx;
         ctx.set_deadline(Deadline());
         grpc::ByteBuffer response;
         return grpc::internal::BlockingUnaryCall<grpc::ByteBuffer, grpc::ByteBuffer>(
                    ch.get(), method, &ctx, request, &response)
             .ok();
       }});

  long idle = RssKb(static_cast<int>(pid));
  const bool tsv = !samples.empty();
  if (tsv) {
    std::printf("%s_rss\t\tidle\t%.2f\t\n", samples.c_str(), idle / 1024.0);
  } else {
    std::printf("server RSS idle: %.1f MiB\n\n", idle / 1024.0);
    std::printf(
        "| RPC | callers | req/s | p50 (us) | p99 (us) | req/s vs health | errors | max RSS (MiB) "
        "|\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
  }
  std::map<int, double> limit;
  long max_rss_kb = 0, errors = 0;
  std::vector<int> caller_list;
  for (const std::string& c : caller_counts) {
    int n = 0;
    if (!absl::SimpleAtoi(c, &n) || n < 1) {
      std::fprintf(stderr, "rpc_bench: --callers: %s is not a positive number\n", c.c_str());
      return 2;
    }
    caller_list.push_back(n);
  }
  for (int callers : caller_list) {
    for (auto& [name, call] : calls) {
      if (!only.empty() && name.find(only) == std::string::npos &&
          name.find("limit") == std::string::npos) {
        continue;
      }
      Result r = Run(target, callers, seconds, static_cast<int>(pid), call);
      if (name.find("limit") != std::string::npos) limit[callers] = r.rps;
      max_rss_kb = std::max(max_rss_kb, r.max_rss_kb);
      errors += r.errors;
      if (tsv) {
        for (auto [metric, value] :
             {std::pair<const char*, double>{"rps", r.rps}, {"p50", r.p50_us}, {"p99", r.p99_us}}) {
          std::printf("%s\t\t%s|%d|%s\t%.2f\t\n", samples.c_str(), name.c_str(), callers, metric,
                      value);
        }
      } else {
        std::printf("| %s | %d | %.0f | %.0f | %.0f | %.2fx | %ld | %.1f |\n", name.c_str(),
                    callers, r.rps, r.p50_us, r.p99_us, r.rps / limit[callers], r.errors,
                    r.max_rss_kb / 1024.0);
      }
      std::fflush(stdout);
    }
  }
  long after = RssKb(static_cast<int>(pid));
  if (tsv) {
    std::printf("%s_rss\t\tmax under load\t%.2f\tidle\n", samples.c_str(), max_rss_kb / 1024.0);
    std::printf("%s_rss\t\tafter load\t%.2f\tidle\n", samples.c_str(), after / 1024.0);
    std::printf("%s_errors\t\terrors\t%ld\t\n", samples.c_str(), errors);
  } else {
    std::printf("\nserver RSS after load: %.1f MiB\n", after / 1024.0);
  }
  return 0;
}
