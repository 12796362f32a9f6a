// FakeMailer: a Mailer for unit tests that records what it was given and fails on demand.
// SPDX-License-Identifier: AGPL-3.0-or-later
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mail/mailer.h"

namespace nimbus::mail::testing {

class FakeMailer final : public Mailer {
 public:
  struct Sent {
    Message message;
    std::string message_id;
  };

  Result<void> Send(const Message& message, std::string_view message_id) override {
    std::lock_guard lock(mu_);
    ++calls_;
    if (fail_with_) return Fail(*fail_with_);
    sent_.push_back({message, std::string(message_id)});
    return {};
  }
  // Every later Send fails with `e` until Heal().
  void FailWith(Error e) {
    std::lock_guard lock(mu_);
    fail_with_ = std::move(e);
  }
  void Heal() {
    std::lock_guard lock(mu_);
    fail_with_.reset();
  }
  std::vector<Sent> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  int calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::vector<Sent> sent_;          // Guarded by mu_.
  std::optional<Error> fail_with_;  // Guarded by mu_.
  int calls_ = 0;                   // Guarded by mu_.
};

}  // namespace nimbus::mail::testing
