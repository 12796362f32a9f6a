// SPDX-License-Identifier: AGPL-3.0-or-later
#include <cctype>

#include "config/fields.h"

namespace nimbus::config {
namespace {

std::string CheckCurrency(const std::string& v) {
  bool ok = v.size() == 3;
  for (char ch : v) ok = ok && std::isupper(static_cast<unsigned char>(ch));
  return ok ? ""
            : fmt::format("must be a three-letter ISO 4217 code such as \"USD\", got \"{}\"", v);
}

// The shape only; the scheduler parses the schedule at start-up and names what is wrong.
std::string CheckSchedule(const std::string& v) {
  return v.starts_with("every ") || v.starts_with("daily ")
             ? ""
             : fmt::format("must be \"every N\" with a unit s, m, h or d (\"every 1h\") or "
                           "\"daily HH:MM\" (UTC), got \"{}\"",
                           v);
}

}  // namespace

void BillingFields(TomlReader& r, BillingConfig& c) {
  r.String("currency", c.currency, {"a string (a currency code)", CheckCurrency});
  r.Int("price_per_gb_month", c.price_per_gb_month, 0, 1000000000);
  r.Int("free_gb", c.free_gb, 1, 1024);
  r.Int("min_gb", c.min_gb, 1, 1 << 20);
  r.Int("max_gb", c.max_gb, 1, 1 << 20);
  r.Int("step_gb", c.step_gb, 1, 1 << 20);
  r.Int("grace_days", c.grace_days, 0, 365);
  r.Int("invoice_due_days", c.invoice_due_days, 0, 365);
  r.String("invoice_issuer", c.invoice_issuer);
  r.String("payment_instructions", c.payment_instructions);
  r.Secret("webhook_secret", c.webhook_secret, c.webhook_secret_file);
  r.Int("webhook_tolerance_s", c.webhook_tolerance_s, 1, 86400);
  r.String("job_schedule", c.job_schedule, {"a string \"every 1h\"", CheckSchedule});
  if (!r.reading()) return;

  if (c.min_gb <= c.free_gb) {
    r.Error("min_gb",
            fmt::format("must be greater than free_gb ({}), got {}", c.free_gb, c.min_gb));
  }
  if (c.max_gb < c.min_gb) {
    r.Error("max_gb", fmt::format("must be at least min_gb ({}), got {}", c.min_gb, c.max_gb));
  } else if ((c.max_gb - c.min_gb) % c.step_gb != 0) {
    r.Error("step_gb", fmt::format("must divide max_gb - min_gb ({}), got {}", c.max_gb - c.min_gb,
                                   c.step_gb));
  }
}

}  // namespace nimbus::config
