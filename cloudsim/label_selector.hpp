// Hetzner Cloud's label selector grammar: k=v, k==v, k!=v, k, !k,
// k in (a,b), k notin (a,b); a comma means AND.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cloudsim/inventory.hpp"

namespace dynserv::cloudsim {

/// One requirement of a selector.
struct label_requirement {
  enum class op { equals, not_equals, exists, not_exists, in, not_in };
  std::string key;
  op kind = op::exists;
  std::vector<std::string> values;
};

/// A parsed selector: all requirements must hold.
class label_selector {
public:
  /// Parses `text`; nullopt with a message in `*error` on a syntax error.
  static std::optional<label_selector> parse(std::string_view text,
                                             std::string* error);

  /// True if `labels` satisfy every requirement. `!=` and `notin` also match
  /// when the key is absent (as in Kubernetes).
  bool matches(const label_list& labels) const;

  const std::vector<label_requirement>& requirements() const {
    return reqs_;
  }

private:
  std::vector<label_requirement> reqs_;
};

/// True if `key` is a valid Hetzner label key (optional DNS prefix + '/',
/// name of at most 63 alphanumerics, '-', '_', '.').
bool is_label_key(std::string_view key);

/// True if `value` is a valid Hetzner label value (empty or like a name).
bool is_label_value(std::string_view value);

} // namespace dynserv::cloudsim
