#include <unistd.h>

#include <map>
#include "base/file.h"
#include "base/json_view.h"
#include "cli/command.h"
#include "runtime/container.h"

namespace berth::cli {

namespace {

const Option kListOptions[] = {
    {{"format", "f"}, true, "table or json (default: table)"},
    {{"quiet", "q"}, false, "print only the container ids"},
};

// The user name of uid from /etc/passwd (no NSS: berth may be linked
// statically). Remembered: every container of a root usually has one owner.
std::string user_name(uid_t uid) {
  static std::map<uid_t, std::string> known;
  if (auto it = known.find(uid); it != known.end()) return it->second;
  std::string name = "#" + std::to_string(uid);
  if (auto text = read_file("/etc/passwd")) {
    for (const auto& line : split(*text, '\n')) {
      auto f = split(line, ':');
      int64_t id;
      if (f.size() > 2 && parse_int64(f[2], id) && id == static_cast<int64_t>(uid)) {
        name = f[0];
        break;
      }
    }
  }
  return known[uid] = name;
}

// A record berth cannot read, in list's JSON: its id and status unknown.
void append_damaged(std::string& array, const std::string& id) {
  if (array.size() > 1) array += ',';
  array += R"({"ociVersion":"","id":)";
  json::append_string(array, id);
  array += R"(,"pid":0,"status":"unknown","bundle":"","rootfs":"","created":"","owner":""})";
}

// runc's table: tabwriter with minwidth 12 and padding 3.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(12);
      width[i] = std::max(width[i], r[i].size() + 3);
    }
  std::string out;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      out += r[i];
      if (i + 1 < r.size()) out += std::string(width[i] - r[i].size(), ' ');
    }
    // No padding after the last non-empty column (SANDBOX is mostly empty).
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += "\n";
  }
  return out;
}

int run_list(Context& ctx, const Args& a) {
  std::string format = a.get("format", "table");
  if (format != "table" && format != "json")
    return fail(ctx, invalid("list: --format: unknown format \"" + format + "\" (want table or json)"));
  auto ids = ctx.store.list();
  if (!ids) return fail(ctx, ids.error());

  std::string out;
  std::string array = "[";  // written directly: list builds no document per container
  // runc's columns in runc's order, then berth's own (parsers split on
  // whitespace and read the first six).
  std::vector<std::vector<std::string>> rows = {{"ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER", "SANDBOX"}};
  for (const auto& id : *ids) {
    auto c = runtime::load(ctx.store, id, false);
    if (!c && c.error().kind == ErrorKind::kNotFound) continue;  // deleted while we looked
    if (!c) {
      // A damaged record stays visible: its container may still run.
      ctx.log.warn(c.error().message);
      if (a.flag("quiet"))
        out += id + "\n";
      else if (format == "json")
        append_damaged(array, id);
      else
        rows.push_back({id, "0", "unknown", "", "", "", ""});
      continue;
    }
    if (a.flag("quiet")) {
      out += id + "\n";
      continue;
    }
    std::string owner = user_name(c->owner);
    if (format == "json") {
      if (array.size() > 1) array += ',';
      runtime::append_list_entry(array, c->st, c->pid(), c->status, owner);
    } else {
      bool alive = c->status != state::Status::kStopped && c->status != state::Status::kCreating;
      rows.push_back({id, std::to_string(alive ? c->pid() : 0), state::status_name(c->status), c->st.bundle,
                      c->st.created, owner, c->st.sandbox});
    }
  }
  if (!a.flag("quiet")) out = format == "json" ? array + "]\n" : table(rows);
  (void)!::write(1, out.data(), out.size());
  return 0;
}

}  // namespace

const Command kListCommand = {"list",
                              "ls",
                              "",
                              0,
                              0,
                              "list containers",
                              "Lists the containers of the state root (--root): a table with runc's columns (ID, PID, "
                              "STATUS, BUNDLE, CREATED, OWNER) and berth's SANDBOX, a JSON array of their states with "
                              "--format json, or only their ids with --quiet. A container whose record cannot be read "
                              "is listed with status unknown (it may still run) and a warning.",
                              kListOptions,
                              true,
                              run_list};

}  // namespace berth::cli
