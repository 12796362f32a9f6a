// SPDX-License-Identifier: AGPL-3.0-or-later
// nimbus: parse the command line, load the configuration, run one subcommand.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include "admin_disk_scrub.h"
#include "commands.h"
#include "config/load.h"
#include "logging.h"
#include "version.h"

namespace {

namespace fs = std::filesystem;

// Flags every subcommand takes, before or after its own arguments.
struct CommonFlags {
  std::string config_dir;
  std::string data_dir;
  std::string listen;
};

void AddCommonFlags(CLI::App* sub, CommonFlags& flags) {
  sub->add_option("--config", flags.config_dir,
                  "Configuration directory (default ./config when it exists)");
  sub->add_option("--data", flags.data_dir, "Data directory (default ./nimbus-data)");
}

// Loads the configuration the flags point at; prints what is wrong and returns nullopt.
std::optional<nimbus::config::Config> Load(const CommonFlags& flags) {
  nimbus::config::LoadOptions options;
  if (!flags.config_dir.empty()) {
    options.config_dir = flags.config_dir;
  } else if (std::error_code ec; fs::is_directory("config", ec)) {
    options.config_dir = "config";
  }
  options.env = nimbus::config::EnvironmentFromProcess();
  if (!flags.data_dir.empty()) options.data_dir = flags.data_dir;
  if (!flags.listen.empty()) options.listen = flags.listen;
  auto config = nimbus::config::LoadConfig(options);
  if (!config) {
    fmt::print(stderr, "{}\n", config.error().message);
    return std::nullopt;
  }
  return std::move(*config);
}

}  // namespace

int main(int argc, char** argv) {
  // Line by line: the log goes to stderr unbuffered, and with both in one file (a cron job's
  // `>> log 2>&1`) a block-buffered stdout was cut mid-line by log lines (QA pass 20).
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  CLI::App app{"Nimbus: self-hosted cloud storage.", "nimbus"};
  app.set_version_flag("--version",
                       fmt::format("nimbus {} ({})", nimbus::app::kVersion, nimbus::app::kCommit));
  app.require_subcommand(1);
  CommonFlags flags;

  auto* serve = app.add_subcommand("serve", "Run the HTTP server and the background jobs");
  AddCommonFlags(serve, flags);
  serve->add_option("--listen", flags.listen, "Address to listen on, HOST:PORT (port 0: any)");

  auto* config = app.add_subcommand("config", "Configuration commands");
  config->require_subcommand(1);
  auto* check = config->add_subcommand("check", "Validate the configuration and print it");
  AddCommonFlags(check, flags);

  auto* job = app.add_subcommand("job", "Background jobs");
  job->require_subcommand(1);
  auto* job_run = job->add_subcommand("run", "Run one job now and exit with its outcome");
  std::string job_name;
  job_run->add_option("name", job_name, "Job name (see `nimbus admin job list`)")->required();
  AddCommonFlags(job_run, flags);

  auto* admin = app.add_subcommand("admin", "Operator commands");
  admin->require_subcommand(1);
  auto* admin_job = admin->add_subcommand("job", "Jobs and their last and next runs");
  admin_job->require_subcommand(1);
  auto* admin_job_list = admin_job->add_subcommand("list", "List every job");
  bool json = false;
  admin_job_list->add_flag("--json", json, "Print JSON");
  AddCommonFlags(admin_job_list, flags);

  auto* admin_disk = admin->add_subcommand(
      "disk", "Disks: list, show, fail, heal, attach, replace, retire, scrub");
  admin_disk->require_subcommand(1);
  auto* disk_list = admin_disk->add_subcommand("list", "List every disk");
  disk_list->add_flag("--json", json, "Print JSON");
  std::string disk_id;
  auto* disk_show = admin_disk->add_subcommand("show", "Show one disk");
  disk_show->add_option("id", disk_id, "Disk id (a1, a1m, spare1, ...)")->required();
  disk_show->add_flag("--json", json, "Print JSON");
  auto* disk_fail = admin_disk->add_subcommand("fail", "Mark a disk failed (its mirror serves)");
  disk_fail->add_option("id", disk_id, "Disk id")->required();
  bool force_fail = false;
  disk_fail->add_flag("--force", force_fail,
                      "Fail it even when it holds the last working copy of its users' files");
  auto* disk_heal = admin_disk->add_subcommand("heal", "Mark a disk healthy again");
  disk_heal->add_option("id", disk_id, "Disk id")->required();
  auto* disk_retire = admin_disk->add_subcommand(
      "retire", "Give an empty pair back to the spares (no owners, no blobs on it)");
  disk_retire->add_option("id", disk_id, "Either disk of the pair")->required();
  for (auto* sub : {disk_list, disk_show, disk_fail, disk_heal, disk_retire}) {
    AddCommonFlags(sub, flags);
  }
  std::string spare_id;
  auto* disk_replace = admin_disk->add_subcommand(
      "replace", "Put a spare in a failed disk's place and resilver it (run again to resume)");
  disk_replace->add_option("id", disk_id, "The failed disk")->required();
  disk_replace->add_option("--with", spare_id, "The spare that takes its place")->required();
  disk_replace->add_flag("--json", json, "Print JSON (progress goes to stderr)");
  AddCommonFlags(disk_replace, flags);
  std::string attach_uri;
  std::int64_t attach_capacity = 0;  // Signed: "-5" is refused, not read as 2^64 - 5.
  std::int64_t attach_capacity_gb = 0;
  auto* disk_attach = admin_disk->add_subcommand("attach", "Record a new spare disk");
  disk_attach->add_option("id", disk_id, "Id of the new disk (e.g. spare3)")->required();
  disk_attach->add_option("--uri", attach_uri, "Where it is: file:/absolute/path")->required();
  auto* capacity_opt =
      disk_attach
          ->add_option("--capacity", attach_capacity,
                       "Capacity in bytes (default: a share of the file system's free space)")
          ->check(CLI::PositiveNumber);
  disk_attach->add_option("--capacity-gb", attach_capacity_gb, "Capacity in GiB")
      ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 30))
      ->excludes(capacity_opt);
  disk_attach->add_flag("--json", json, "Print JSON");
  AddCommonFlags(disk_attach, flags);
  nimbus::app::ScrubCommand scrub;
  auto* disk_scrub = admin_disk->add_subcommand(
      "scrub", "Verify both copies of every blob of a pair, repair, report orphans");
  disk_scrub->add_option("id", scrub.disk_id, "Disk id (either disk of the pair)");
  disk_scrub->add_flag("--all", scrub.all, "Scrub every pair, one after another");
  disk_scrub->add_flag("--json", scrub.json, "Print the report as JSON");
  disk_scrub->add_flag("--delete-orphans", scrub.delete_orphans,
                       "Delete orphan blobs older than an hour (default: only report them)");
  AddCommonFlags(disk_scrub, flags);

  auto* admin_user = admin->add_subcommand(
      "user", "Users: create, promote (--demote), disable (--enable), delete, list, plan");
  admin_user->require_subcommand(1);
  std::string user_email, user_name, password_file;
  bool user_admin = false, user_enable = false, user_demote = false;
  auto* user_create = admin_user->add_subcommand(
      "create", "Create a verified user with the free plan (a random password is printed once)");
  user_create->add_option("email", user_email, "Email address")->required();
  user_create->add_option("--name", user_name, "Display name");
  user_create->add_flag("--admin", user_admin, "Make the user an admin");
  user_create->add_option("--password-file", password_file, "Read the password from this file");
  auto* user_promote = admin_user->add_subcommand("promote", "Make a user an admin");
  user_promote->add_option("email", user_email, "Email address")->required();
  user_promote->add_flag("--demote", user_demote, "Make the admin a regular user instead");
  auto* user_disable =
      admin_user->add_subcommand("disable", "Disable a user (ends their sessions)");
  user_disable->add_option("email", user_email, "Email address")->required();
  user_disable->add_flag("--enable", user_enable, "Enable the user again instead");
  bool user_yes = false;
  auto* user_delete = admin_user->add_subcommand(
      "delete", "Delete a user and every file of theirs for good (needs --yes)");
  user_delete->add_option("email", user_email, "Email address")->required();
  user_delete->add_flag("--yes", user_yes, "Yes, delete the account and its files");
  auto* user_list = admin_user->add_subcommand(
      "list", "List every user with their plan, usage and billing standing");
  user_list->add_flag("--json", json, "Print JSON");
  std::string user_sort;
  user_list->add_option("--sort", user_sort, "used (most first), plan or email");
  std::int64_t plan_gb = 0;
  bool plan_gift = false, plan_charged = false;
  auto* user_plan = admin_user->add_subcommand(
      "plan",
      "Set a user's plan in GB, without charging (as the admin page does); a change of "
      "disk category moves their files, shown until it is done");
  user_plan->add_option("email", user_email, "Email address")->required();
  user_plan->add_option("gb", plan_gb, "The plan's size in GB (1 is the free plan)")->required();
  auto* gift = user_plan->add_flag("--complimentary", plan_gift,
                                   "The plan is a gift: never invoiced, only an admin changes it");
  user_plan->add_flag("--charged", plan_charged, "The plan stops being a gift")->excludes(gift);
  for (auto* sub : {user_create, user_promote, user_disable, user_delete, user_list, user_plan}) {
    AddCommonFlags(sub, flags);
  }

  std::string backup_dest;
  auto* admin_backup = admin->add_subcommand(
      "backup",
      "Copy the catalog (accounts, file tree, shares, billing) to a file, while the "
      "server runs; the files' bytes are on the mirrored disks");
  admin_backup->add_option("dest", backup_dest, "A new file, or a directory for nimbus-<time>.db")
      ->required();
  AddCommonFlags(admin_backup, flags);

  auto* admin_invoice = admin->add_subcommand("invoice", "Invoices: mark-paid, list");
  admin_invoice->require_subcommand(1);
  std::string invoice_id, invoice_ref, invoice_user, invoice_status;
  auto* invoice_paid = admin_invoice->add_subcommand(
      "mark-paid",
      "Record a manual payment of an open invoice (lifts past_due once nothing is "
      "overdue; the user gets a receipt)");
  invoice_paid->add_option("id", invoice_id, "Invoice id or number (INV-000003)")->required();
  invoice_paid->add_option("--ref", invoice_ref, "Your reference (e.g. a bank transfer's)");
  auto* invoice_list = admin_invoice->add_subcommand("list", "List invoices, oldest first");
  invoice_list->add_option("--user", invoice_user, "Only this user's (email)");
  invoice_list->add_option("--status", invoice_status, "Only open, paid or void ones")
      ->check(CLI::IsMember({"open", "paid", "void"}));
  invoice_list->add_flag("--json", json, "Print JSON");
  for (auto* sub : {invoice_paid, invoice_list}) AddCommonFlags(sub, flags);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // "nimbus admin bogus": CLI11 says "A subcommand is required"; name the word it did not know
    // and the commands there are instead.
    if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
      CLI::App* at = &app;
      for (CLI::App* next = at; next != nullptr;) {
        at = next;
        next = nullptr;
        for (CLI::App* sub : at->get_subcommands({})) {
          if (sub->parsed()) next = sub;
        }
      }
      const std::vector<std::string> rest = at->remaining();
      if (!rest.empty() && !at->get_subcommands({}).empty()) {
        std::string names;
        for (CLI::App* sub : at->get_subcommands({})) {
          names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        std::string path;
        for (CLI::App* a = at; a != nullptr; a = a->get_parent()) {
          path = a->get_name() + (path.empty() ? "" : " ") + path;
        }
        fmt::print(stderr,
                   "{}: '{}' is not a command here; the commands are: {}. Run '{} --help' "
                   "for more.\n",
                   path, rest.front(), names, path);
        return 2;
      }
    }
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  auto loaded = Load(flags);
  if (!loaded) return 2;
  const auto& cfg = *loaded;
  nimbus::app::SetUpLogging(cfg.server.log_format, cfg.server.log_level);

  if (serve->parsed()) return nimbus::app::RunServe(cfg);
  if (check->parsed()) return nimbus::app::RunConfigCheck(cfg);
  if (job_run->parsed()) return nimbus::app::RunJob(cfg, job_name);
  if (admin_job_list->parsed()) return nimbus::app::ListJobs(cfg, json);
  if (disk_list->parsed()) return nimbus::app::ListDisks(cfg, json);
  if (disk_show->parsed()) return nimbus::app::ShowDisk(cfg, disk_id, json);
  if (disk_fail->parsed()) return nimbus::app::FailDisk(cfg, disk_id, force_fail);
  if (disk_heal->parsed()) return nimbus::app::HealDisk(cfg, disk_id);
  if (disk_retire->parsed()) return nimbus::app::RetireDisk(cfg, disk_id);
  if (disk_replace->parsed()) return nimbus::app::ReplaceDisk(cfg, disk_id, spare_id, json);
  if (disk_attach->parsed()) {
    const std::uint64_t capacity =
        attach_capacity_gb > 0
            ? static_cast<std::uint64_t>(attach_capacity_gb) * (std::uint64_t{1} << 30)
            : static_cast<std::uint64_t>(attach_capacity);
    return nimbus::app::AttachDisk(cfg, disk_id, attach_uri, capacity, json);
  }
  if (disk_scrub->parsed()) return nimbus::app::ScrubDisks(cfg, scrub);
  if (user_create->parsed()) {
    return nimbus::app::CreateUser(cfg, user_email, user_name, user_admin, password_file);
  }
  if (user_promote->parsed()) return nimbus::app::PromoteUser(cfg, user_email, user_demote);
  if (user_disable->parsed()) return nimbus::app::DisableUser(cfg, user_email, user_enable);
  if (user_delete->parsed()) return nimbus::app::DeleteUser(cfg, user_email, user_yes);
  if (user_list->parsed()) return nimbus::app::ListUsers(cfg, json, user_sort);
  if (user_plan->parsed()) {
    std::optional<bool> complimentary;
    if (plan_gift) complimentary = true;
    if (plan_charged) complimentary = false;
    return nimbus::app::SetUserPlan(cfg, user_email, plan_gb, complimentary);
  }
  if (admin_backup->parsed()) return nimbus::app::BackupCatalog(cfg, backup_dest);
  if (invoice_paid->parsed()) return nimbus::app::MarkInvoicePaid(cfg, invoice_id, invoice_ref);
  if (invoice_list->parsed()) {
    return nimbus::app::ListInvoices(cfg, invoice_user, invoice_status, json);
  }
  return 2;
}
