#include "server/sql/json_dom.h"

#include "absl/strings/str_cat.h"

namespace schemagate::sql {

const JsonNode* JsonNode::Get(absl::string_view key) const {
  if (type_ != kObject) return nullptr;
  for (const JsonNode* n = first_; n != first_ + count_; ++n) {
    if (n->key_ == key) return n;
  }
  return nullptr;
}

namespace {

struct Pending {
  JsonNode node;
  uint32_t first = 0;  // index into nodes of the first child
};

}  // namespace

class JsonParser {
 public:
  JsonParser(std::string* text, std::vector<JsonNode>* nodes, int max_depth)
      : s_(*text), nodes_(*nodes), max_depth_(max_depth) {}

  absl::StatusOr<size_t> Run() {
    SkipSpace();
    if (absl::Status st = Value(0, ""); !st.ok()) return st;
    SkipSpace();
    if (pos_ != s_.size()) return Error("trailing characters");
    // The root is the only pending node.
    Flush(0);
    size_t root = nodes_.size() - 1;
    for (size_t i = 0; i < nodes_.size(); ++i) {
      JsonNode& n = nodes_[i];
      if (n.type_ == JsonNode::kArray || n.type_ == JsonNode::kObject) {
        n.first_ = nodes_.data() + firsts_[i];
      }
    }
    return root;
  }

 private:
  absl::Status Error(absl::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat("malformed JSON at offset ", pos_, ": ", what));
  }
  void SkipSpace() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) {
      ++pos_;
    }
  }
  // Moves pending[from..] into nodes_ (as one contiguous block of siblings).
  uint32_t Flush(size_t from) {
    uint32_t first = static_cast<uint32_t>(nodes_.size());
    for (size_t i = from; i < pending_.size(); ++i) {
      nodes_.push_back(pending_[i].node);
      firsts_.push_back(pending_[i].first);
    }
    pending_.resize(from);
    return first;
  }

  absl::Status String(absl::string_view* out) {
    if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a string");
    size_t start = ++pos_;
    size_t write = start;
    while (true) {
      if (pos_ >= s_.size()) return Error("unterminated string");
      char c = s_[pos_];
      if (c == '"') break;
      if (c != '\\') {
        s_[write++] = c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= s_.size()) return Error("bad escape");
      char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '"':
          s_[write++] = '"';
          break;
        case '\\':
          s_[write++] = '\\';
          break;
        case '/':
          s_[write++] = '/';
          break;
        case 'b':
          s_[write++] = '\b';
          break;
        case 'f':
          s_[write++] = '\f';
          break;
        case 'n':
          s_[write++] = '\n';
          break;
        case 'r':
          s_[write++] = '\r';
          break;
        case 't':
          s_[write++] = '\t';
          break;
        case 'u': {
          auto hex4 = [&](uint32_t* v) {
            if (pos_ + 4 > s_.size()) return false;
            *v = 0;
            for (int i = 0; i < 4; ++i) {
              char h = s_[pos_ + i];
              *v <<= 4;
              if (h >= '0' && h <= '9')
                *v |= h - '0';
              else if (h >= 'a' && h <= 'f')
                *v |= h - 'a' + 10;
              else if (h >= 'A' && h <= 'F')
                *v |= h - 'A' + 10;
              else
                return false;
            }
            pos_ += 4;
            return true;
          };
          uint32_t cp = 0;
          if (!hex4(&cp)) return Error("bad \\u escape");
          if (cp >= 0xD800 && cp <= 0xDBFF && pos_ + 6 <= s_.size() && s_[pos_] == '\\' &&
              s_[pos_ + 1] == 'u') {
            pos_ += 2;
            uint32_t low = 0;
            if (!hex4(&low)) return Error("bad \\u escape");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          if (cp < 0x80) {
            s_[write++] = static_cast<char>(cp);
          } else if (cp < 0x800) {
            s_[write++] = static_cast<char>(0xC0 | (cp >> 6));
            s_[write++] = static_cast<char>(0x80 | (cp & 0x3F));
          } else if (cp < 0x10000) {
            s_[write++] = static_cast<char>(0xE0 | (cp >> 12));
            s_[write++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s_[write++] = static_cast<char>(0x80 | (cp & 0x3F));
          } else {
            s_[write++] = static_cast<char>(0xF0 | (cp >> 18));
            s_[write++] = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s_[write++] = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s_[write++] = static_cast<char>(0x80 | (cp & 0x3F));
          }
          break;
        }
        default:
          return Error("bad escape");
      }
    }
    *out = absl::string_view(s_.data() + start, write - start);
    ++pos_;  // closing quote
    return absl::OkStatus();
  }

  absl::Status Value(int depth, absl::string_view key) {
    if (depth > max_depth_) return Error("nested too deeply");
    if (pos_ >= s_.size()) return Error("unexpected end");
    Pending p;
    p.node.key_ = key;
    char c = s_[pos_];
    if (c == '{' || c == '[') {
      bool object = c == '{';
      p.node.type_ = object ? JsonNode::kObject : JsonNode::kArray;
      ++pos_;
      size_t mark = pending_.size();
      SkipSpace();
      char close = object ? '}' : ']';
      if (pos_ < s_.size() && s_[pos_] == close) {
        ++pos_;
      } else {
        while (true) {
          SkipSpace();
          absl::string_view child_key;
          if (object) {
            if (absl::Status st = String(&child_key); !st.ok()) return st;
            SkipSpace();
            if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':'");
            ++pos_;
            SkipSpace();
          }
          if (absl::Status st = Value(depth + 1, child_key); !st.ok()) return st;
          SkipSpace();
          if (pos_ < s_.size() && s_[pos_] == ',') {
            ++pos_;
            continue;
          }
          if (pos_ < s_.size() && s_[pos_] == close) {
            ++pos_;
            break;
          }
          return Error("expected ',' or a closing bracket");
        }
      }
      p.node.count_ = static_cast<uint32_t>(pending_.size() - mark);
      p.first = Flush(mark);
    } else if (c == '"') {
      p.node.type_ = JsonNode::kString;
      if (absl::Status st = String(&p.node.text_); !st.ok()) return st;
    } else if (s_.compare(pos_, 4, "true") == 0) {
      p.node.type_ = JsonNode::kBool;
      p.node.number_ = 1;
      pos_ += 4;
    } else if (s_.compare(pos_, 5, "false") == 0) {
      p.node.type_ = JsonNode::kBool;
      pos_ += 5;
    } else if (s_.compare(pos_, 4, "null") == 0) {
      pos_ += 4;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      p.node.type_ = JsonNode::kNumber;
      size_t start = pos_;
      bool negative = c == '-';
      if (negative) ++pos_;
      int64_t v = 0;
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
        v = v * 10 + (s_[pos_++] - '0');
      }
      while (pos_ < s_.size() &&
             (s_[pos_] == '.' || s_[pos_] == 'e' || s_[pos_] == 'E' || s_[pos_] == '+' ||
              s_[pos_] == '-' || (s_[pos_] >= '0' && s_[pos_] <= '9'))) {
        ++pos_;
      }
      p.node.number_ = negative ? -v : v;
      p.node.text_ = absl::string_view(s_.data() + start, pos_ - start);
    } else {
      return Error("unexpected character");
    }
    pending_.push_back(p);
    return absl::OkStatus();
  }

  std::string& s_;
  std::vector<JsonNode>& nodes_;
  int max_depth_;
  size_t pos_ = 0;
  std::vector<Pending> pending_;
  std::vector<uint32_t> firsts_;
};

absl::StatusOr<JsonDoc> JsonDoc::Parse(std::string text, int max_depth) {
  JsonDoc doc;
  doc.text_ = std::make_unique<std::string>(std::move(text));
  doc.nodes_.reserve(doc.text_->size() / 24 + 16);
  JsonParser parser(doc.text_.get(), &doc.nodes_, max_depth);
  absl::StatusOr<size_t> root = parser.Run();
  if (!root.ok()) return root.status();
  doc.root_ = *root;
  return doc;
}

}  // namespace schemagate::sql
