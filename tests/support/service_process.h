// A schemagate-server process for end-to-end, fault and security tests, and
// the small helpers they share (tests only).
//
//   Server server(Bin("schemagate-server"), db->url(), {"--features=tasks"});
//   ASSERT_TRUE(server.ok());
//   auto client = Connect(server.target());
//   ASSERT_TRUE(Eventually([&] { return client->ListClusters().ok(); }, absl::Seconds(10)));
#ifndef SCHEMAGATE_TESTS_SUPPORT_SERVICE_PROCESS_H_
#define SCHEMAGATE_TESTS_SUPPORT_SERVICE_PROCESS_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "client/schemagate_client.h"
#include "tests/support/subprocess.h"

namespace schemagate::test {

// The environment variable `name`, or "".
std::string Env(const std::string& name);
// A binary of the main build: $SCHEMAGATE_BIN_DIR/<binary>.
std::string Bin(const std::string& binary);
// A binary of a test variant: $SCHEMAGATE_VARIANTS_DIR/<name>/<binary>.
std::string Variant(const std::string& name, const std::string& binary);

// Polls `pred` every 50 ms until it is true or `timeout` passed.
bool Eventually(const std::function<bool()>& pred, absl::Duration timeout);

// The health service `service` ("" = overall) answers SERVING.
bool Serving(client::Client& c, const std::string& service = "");

// A client with a 20 s deadline per call (and `token` for admin RPCs).
std::unique_ptr<client::Client> Connect(const std::string& target, const std::string& token = "");

// `binary serve --listen=127.0.0.1:0 --port-file=... --poll-interval=500ms
// <flags>` with DATABASE_URL=database_url; SIGTERM and reaped on destruction.
class Server {
 public:
  Server(const std::string& binary, const std::string& database_url, std::vector<std::string> flags,
         std::vector<std::string> extra_env = {});
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  bool ok() const { return !ports_.empty(); }
  std::string target() const { return "127.0.0.1:" + ports_[0]; }
  // The admin listener's address (with --admin-listen).
  std::string admin_target() const { return "127.0.0.1:" + ports_.at(1); }
  Child& child() { return *child_; }
  ProcessResult Stop(int signal = SIGTERM);
  // Resident set size of the server process in KiB (from /proc), or -1.
  long RssKib() const;
  // Its peak resident set size so far (VmHWM) in KiB, or -1.
  long PeakRssKib() const;

 private:
  long StatusKib(const std::string& field) const;

  std::string dir_, port_file_;
  std::vector<std::string> ports_;
  std::unique_ptr<Child> child_;
};

// Calls `method` (e.g. "/schemagate.v1.SchemaGate/CheckTables") with the raw
// request bytes `payload` through a generic stub, as any gRPC client could,
// and waits for the answer. `metadata` is added to the call.
grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& payload, absl::Duration deadline,
                          std::string* response = nullptr,
                          const std::vector<std::pair<std::string, std::string>>& metadata = {});

// A length-delimited protobuf field: the tag of field `number`, the length
// and `bytes` as given (no UTF-8 check, so tests can send any bytes).
std::string ProtoField(int number, const std::string& bytes);

// Writes a test CA (ca.crt), a server certificate for localhost/127.0.0.1
// (server.crt, server.key) and a client certificate (client.crt,
// client.key) signed by it into `dir`, with openssl. False on failure.
bool MakeTestCertificates(const std::string& dir);

// A TCP proxy on 127.0.0.1 in front of `host:port` that can be frozen: it
// then stops passing bytes either way but keeps every connection open, as
// a silent network partition (or a hung proxy) looks to a client.
class FreezableProxy {
 public:
  FreezableProxy(const std::string& host, int port);
  ~FreezableProxy();
  FreezableProxy(const FreezableProxy&) = delete;
  FreezableProxy& operator=(const FreezableProxy&) = delete;

  int port() const { return port_; }
  void Freeze() { frozen_ = true; }
  void Thaw() { frozen_ = false; }
  // Closes every connection made so far, both ways, as a broken network
  // does (the client sees its connection end; the server side is shut down
  // too, which a backend notices only when it next writes to it); new
  // connections are passed as before.
  void Cut();

 private:
  void Accept();
  void Pump(int from, int to);

  std::string host_;
  int target_port_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> frozen_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::vector<int> sockets_;          // guarded by mu_
  std::vector<std::thread> threads_;  // guarded by mu_
};

// RPC load on a server while a test breaks its database: 4 callers, each
// call with a 300 ms deadline, CheckTables (of `table`), ListClusters
// (memory) and GetMigrationStatus, VerifySchema (database) in turn, until
// Stop(). Counts the calls, the OK ones and those that ended more than
// 200 ms past their deadline.
class RpcLoad {
 public:
  RpcLoad(const std::string& target, const std::string& table);
  ~RpcLoad() { Stop(); }
  void Stop();
  int calls() const { return calls_; }
  int ok_calls() const { return ok_; }
  int late() const { return late_; }
  long worst_overrun_ms() const { return worst_overrun_ms_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> calls_{0}, ok_{0}, late_{0};
  std::atomic<long> worst_overrun_ms_{0};
  std::vector<std::thread> callers_;
};

// A private PostgreSQL (scripts/pg.sh) for tests that stop and restart it.
class PrivatePostgres {
 public:
  PrivatePostgres();
  ~PrivatePostgres();
  bool ok() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  bool Stop();
  bool Start();  // again, on the same port

 private:
  std::string dir_, url_, port_;
};

}  // namespace schemagate::test

#endif  // SCHEMAGATE_TESTS_SUPPORT_SERVICE_PROCESS_H_
