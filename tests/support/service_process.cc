#include "tests/support/service_process.h"

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "schemagate/v1/schemagate.grpc.pb.h"

namespace schemagate::test {

std::string Env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  return v != nullptr ? v : "";
}

std::string Bin(const std::string& binary) { return Env("SCHEMAGATE_BIN_DIR") + "/" + binary; }

std::string Variant(const std::string& name, const std::string& binary) {
  return Env("SCHEMAGATE_VARIANTS_DIR") + "/" + name + "/" + binary;
}

bool Eventually(const std::function<bool()>& pred, absl::Duration timeout) {
  absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (pred()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return pred();
}

bool Serving(client::Client& c, const std::string& service) {
  auto h = c.Health(service);
  return h.ok() && *h == grpc::health::v1::HealthCheckResponse::SERVING;
}

std::unique_ptr<client::Client> Connect(const std::string& target, const std::string& token) {
  client::ClientOptions o;
  o.target = target;
  o.token = token;
  o.timeout = absl::Seconds(20);
  return *client::Client::Connect(o);
}

Server::Server(const std::string& binary, const std::string& database_url,
               std::vector<std::string> flags, std::vector<std::string> extra_env) {
  dir_ = TempDir();
  port_file_ = dir_ + "/port";
  std::vector<std::string> argv = {binary, "serve", "--listen=127.0.0.1:0",
                                   "--port-file=" + port_file_, "--poll-interval=500ms"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  extra_env.push_back("DATABASE_URL=" + database_url);
  child_ = std::make_unique<Child>(argv, extra_env);
  for (int i = 0; i < 200 && ports_.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(port_file_);
    std::string line;
    if (std::getline(in, line) && !line.empty()) ports_ = absl::StrSplit(line, ' ');
    if (!child_->Running()) break;
  }
}

Server::~Server() {
  if (child_ != nullptr && child_->Running()) {
    child_->Kill(SIGTERM);
    child_->Wait();
  }
}

ProcessResult Server::Stop(int signal) {
  child_->Kill(signal);
  return child_->Wait();
}

long Server::RssKib() const { return StatusKib("VmRSS:"); }
long Server::PeakRssKib() const { return StatusKib("VmHWM:"); }

long Server::StatusKib(const std::string& field) const {
  std::ifstream in("/proc/" + std::to_string(child_->pid()) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::strtol(line.c_str() + field.size(), nullptr, 10);
  }
  return -1;
}

bool MakeTestCertificates(const std::string& d) {
  std::ofstream(d + "/ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  const std::vector<std::vector<std::string>> steps = {
      {"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=test-ca",
       "-keyout", d + "/ca.key", "-out", d + "/ca.crt"},
      {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout",
       d + "/server.key", "-out", d + "/server.csr"},
      {"x509", "-req", "-in", d + "/server.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
       "-CAcreateserial", "-days", "1", "-extfile", d + "/ext", "-out", d + "/server.crt"},
      {"req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=client", "-keyout", d + "/client.key",
       "-out", d + "/client.csr"},
      {"x509", "-req", "-in", d + "/client.csr", "-CA", d + "/ca.crt", "-CAkey", d + "/ca.key",
       "-CAcreateserial", "-days", "1", "-out", d + "/client.crt"},
  };
  for (std::vector<std::string> args : steps) {
    args.insert(args.begin(), "openssl");
    if (RunProcess(args).exit_code != 0) return false;
  }
  return true;
}

FreezableProxy::FreezableProxy(const std::string& host, int port)
    : host_(host), target_port_(port) {
  listener_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listener_, 64) != 0 ||
      getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  std::lock_guard<std::mutex> lock(mu_);
  threads_.emplace_back([this] { Accept(); });
}

FreezableProxy::~FreezableProxy() {
  stopping_ = true;
  shutdown(listener_, SHUT_RDWR);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int s : sockets_) shutdown(s, SHUT_RDWR);
    threads.swap(threads_);
  }
  for (std::thread& t : threads) t.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (int s : sockets_) close(s);
  close(listener_);
}

void FreezableProxy::Cut() {
  std::lock_guard<std::mutex> lock(mu_);
  for (int s : sockets_) shutdown(s, SHUT_RDWR);
}

void FreezableProxy::Accept() {
  while (!stopping_) {
    int client = accept(listener_, nullptr, nullptr);
    if (client < 0) return;
    int server = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(target_port_));
    inet_pton(AF_INET, host_.c_str(), &addr.sin_addr);
    if (connect(server, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(server);
      close(client);
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    sockets_.push_back(client);
    sockets_.push_back(server);
    threads_.emplace_back([this, client, server] { Pump(client, server); });
    threads_.emplace_back([this, client, server] { Pump(server, client); });
  }
}

void FreezableProxy::Pump(int from, int to) {
  char buffer[16384];
  while (!stopping_) {
    if (frozen_) {  // neither read nor write: requests go unanswered
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    pollfd p{from, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    if (frozen_) continue;
    ssize_t n = read(from, buffer, sizeof buffer);
    if (n <= 0) {
      shutdown(to, SHUT_WR);
      return;
    }
    for (ssize_t done = 0; done < n;) {
      ssize_t w = write(to, buffer + done, n - done);
      if (w <= 0) return;
      done += w;
    }
  }
}

RpcLoad::RpcLoad(const std::string& target, const std::string& table) {
  auto stub = std::shared_ptr<v1::SchemaGate::Stub>(
      v1::SchemaGate::NewStub(grpc::CreateChannel(target, grpc::InsecureChannelCredentials())));
  for (int t = 0; t < 4; ++t) {
    callers_.emplace_back([this, stub, table, t] {
      for (int i = 0; !stop_; ++i) {
        grpc::ClientContext ctx;
        const auto deadline = std::chrono::system_clock::now() + std::chrono::milliseconds(300);
        ctx.set_deadline(deadline);
        grpc::Status s;
        switch ((t + i) % 4) {
          case 0: {
            v1::CheckTablesRequest req;
            req.add_tables(table);
            v1::CheckTablesResponse resp;
            s = stub->CheckTables(&ctx, req, &resp);
            break;
          }
          case 1: {
            v1::GetMigrationStatusResponse resp;
            s = stub->GetMigrationStatus(&ctx, v1::GetMigrationStatusRequest(), &resp);
            break;
          }
          case 2: {
            v1::ListClustersResponse resp;
            s = stub->ListClusters(&ctx, v1::ListClustersRequest(), &resp);
            break;
          }
          default: {
            v1::VerifySchemaResponse resp;
            s = stub->VerifySchema(&ctx, v1::VerifySchemaRequest(), &resp);
            break;
          }
        }
        long over = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now() - deadline)
                        .count();
        if (over > 200) ++late_;
        long prev = worst_overrun_ms_.load();
        while (over > prev && !worst_overrun_ms_.compare_exchange_weak(prev, over)) {
        }
        ++calls_;
        if (s.ok()) ++ok_;
      }
    });
  }
}

void RpcLoad::Stop() {
  stop_ = true;
  for (std::thread& t : callers_) {
    if (t.joinable()) t.join();
  }
}

PrivatePostgres::PrivatePostgres() {
  dir_ = TempDir() + "/pg";
  if (RunProcess({"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/pg.sh", "start", dir_})
          .exit_code != 0) {
    return;
  }
  std::ifstream(dir_ + "/url") >> url_;
  std::ifstream(dir_ + "/port") >> port_;
  std::string password;
  std::ifstream(dir_ + "/password") >> password;
  RegisterSecret(password);
}

PrivatePostgres::~PrivatePostgres() { Stop(); }

bool PrivatePostgres::Stop() {
  return RunProcess({"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/pg.sh", "stop", dir_})
             .exit_code == 0;
}

bool PrivatePostgres::Start() {
  return RunProcess({"bash", Env("SCHEMAGATE_SOURCE_DIR") + "/scripts/pg.sh", "start", dir_, port_})
             .exit_code == 0;
}

grpc::Status RawUnaryCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                          const std::string& payload, absl::Duration deadline,
                          std::string* response,
                          const std::vector<std::pair<std::string, std::string>>& metadata) {
  grpc::GenericStub generic(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  for (const auto& [key, value] : metadata) ctx.AddMetadata(key, value);
  grpc::Slice slice(payload);
  grpc::ByteBuffer request(&slice, 1), reply;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  generic.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &reply, [&](grpc::Status s) {
    std::lock_guard<std::mutex> l(mu);
    status = std::move(s);
    done = true;
    cv.notify_all();
  });
  std::unique_lock<std::mutex> l(mu);
  cv.wait(l, [&] { return done; });
  if (response != nullptr && status.ok()) {
    std::vector<grpc::Slice> slices;
    (void)reply.Dump(&slices);
    response->clear();
    for (const grpc::Slice& piece : slices) {
      response->append(reinterpret_cast<const char*>(piece.begin()), piece.size());
    }
  }
  return status;
}

std::string ProtoField(int number, const std::string& bytes) {
  std::string out;
  auto varint = [&out](uint64_t v) {
    while (v >= 0x80) {
      out.push_back(static_cast<char>((v & 0x7f) | 0x80));
      v >>= 7;
    }
    out.push_back(static_cast<char>(v));
  };
  varint((static_cast<uint64_t>(number) << 3) | 2);
  varint(bytes.size());
  out += bytes;
  return out;
}

}  // namespace schemagate::test
