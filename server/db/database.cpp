#include "db/database.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>


namespace relais::db {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw db_error(db ? sqlite3_extended_errcode(db) : rc, msg);
}

}  // namespace

statement::~statement() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

statement& statement::bind(int i, std::int64_t v) {
    if (int rc = sqlite3_bind_int64(stmt_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind(int i, double v) {
    if (int rc = sqlite3_bind_double(stmt_, i, v); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind(int i, std::string_view v) {
    if (int rc = sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8); rc != SQLITE_OK)
        fail(db_, rc, "bind");
    return *this;
}
statement& statement::bind(int i, std::nullptr_t) {
    if (int rc = sqlite3_bind_null(stmt_, i); rc != SQLITE_OK) fail(db_, rc, "bind");
    return *this;
}

bool statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "step");
}

void statement::exec() {
    while (step()) {}
}

std::int64_t statement::get_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double statement::get_double(int col) const { return sqlite3_column_double(stmt_, col); }
std::string statement::get_text(int col) const {
    auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}
bool statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::optional<std::int64_t> statement::get_opt_int(int col) const {
    if (is_null(col)) return std::nullopt;
    return get_int(col);
}
std::optional<std::string> statement::get_opt_text(int col) const {
    if (is_null(col)) return std::nullopt;
    return get_text(col);
}

connection::connection(const std::filesystem::path& file, mode m) {
    int flags = SQLITE_OPEN_NOMUTEX | (m == mode::read_only ? SQLITE_OPEN_READONLY
                                                           : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (int rc = sqlite3_open_v2(file.c_str(), &db_, flags, nullptr); rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close_v2(db_);
        db_ = nullptr;
        throw db_error(rc, "open " + file.string() + ": " + msg);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 5000);
    // WAL: readers never block the writer. synchronous=FULL: a commit is on disk
    // before it returns, so an acknowledged write survives a crash or power loss.
    if (m == mode::read_write) exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY");
}

connection::~connection() {
    for (auto& [sql, s] : cache_) sqlite3_finalize(s);
    sqlite3_close_v2(db_);
}

statement connection::prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it == cache_.end()) {
        sqlite3_stmt* s = nullptr;
        if (int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &s, nullptr);
            rc != SQLITE_OK)
            fail(db_, rc, "prepare");
        it = cache_.emplace(std::string(sql), s).first;
    }
    return statement(db_, it->second);
}

void connection::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err); rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw db_error(sqlite3_extended_errcode(db_), "exec: " + msg);
    }
}

std::int64_t connection::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
int connection::changes() const { return sqlite3_changes(db_); }
bool connection::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

// BEGIN, COMMIT and the savepoints run once or twice per write: prepared once per
// connection (its statement cache) instead of parsed by sqlite3_exec every time.
transaction::transaction(connection& c) : c_(c) { c_.prepare("BEGIN IMMEDIATE").exec(); }
transaction::~transaction() {
    if (!done_) {
        try { c_.prepare("ROLLBACK").exec(); } catch (...) {}
    }
}
void transaction::commit() {
    c_.prepare("COMMIT").exec();
    done_ = true;
}

read_snapshot::read_snapshot(connection& c) : c_(c) { c_.prepare("BEGIN").exec(); }
read_snapshot::~read_snapshot() {
    // A read changes nothing: ending it either way releases the snapshot (an error may
    // already have ended it).
    if (c_.in_transaction()) {
        try { c_.prepare("COMMIT").exec(); } catch (...) {}
    }
}

savepoint::savepoint(connection& c, std::string name) : c_(c), name_(std::move(name)) {
    c_.prepare("SAVEPOINT " + name_).exec();
}
savepoint::~savepoint() {
    if (!done_) {
        try {
            c_.prepare("ROLLBACK TO " + name_).exec();
            c_.prepare("RELEASE " + name_).exec();
        } catch (...) {}
    }
}
void savepoint::release() {
    c_.prepare("RELEASE " + name_).exec();
    done_ = true;
}

namespace {

// Copies the database into `file` (which exists, empty).
void copy_into(connection& source, const std::filesystem::path& file) {
    sqlite3* dest = nullptr;
    if (int rc = sqlite3_open_v2(file.c_str(), &dest, SQLITE_OPEN_READWRITE, nullptr); rc != SQLITE_OK) {
        std::string msg = dest ? sqlite3_errmsg(dest) : sqlite3_errstr(rc);
        sqlite3_close_v2(dest);
        throw db_error(rc, "open backup target: " + msg);
    }
    sqlite3_backup* b = sqlite3_backup_init(dest, "main", source.handle(), "main");
    if (!b) {
        std::string msg = sqlite3_errmsg(dest);
        sqlite3_close_v2(dest);
        throw db_error(SQLITE_ERROR, "backup: " + msg);
    }
    int rc;
    // Copy in steps so that writers are not held up for the whole copy; a write
    // during the copy makes SQLite restart it, which keeps the copy consistent.
    do {
        rc = sqlite3_backup_step(b, 256);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE) {
        std::string msg = sqlite3_errstr(rc);
        sqlite3_close_v2(dest);
        throw db_error(rc, "backup: " + msg);
    }
    sqlite3_close_v2(dest);
}

bool fsync_path(const std::filesystem::path& p, int flags) {
    int fd = ::open(p.c_str(), flags | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

}  // namespace

void backup(connection& source, const std::filesystem::path& target) {
    // Written beside the target under a temporary name, synced, then renamed: a copy cut
    // short (killed, disk full) leaves no file at the target's name that looks like a backup.
    auto dir = target.parent_path().empty() ? std::filesystem::path(".") : target.parent_path();
    auto tmp = dir / ("." + target.filename().string() + ".partiel-" + std::to_string(::getpid()));
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw db_error(SQLITE_CANTOPEN, "cannot create a file in " + dir.string() + ": " + std::strerror(errno));
    ::close(fd);
    auto cleanup = [&] {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
        std::filesystem::remove(tmp.string() + "-journal", ec);
    };
    try {
        copy_into(source, tmp);
        if (!fsync_path(tmp, O_RDONLY)) throw db_error(SQLITE_IOERR, "backup: cannot sync " + tmp.string());
        // Never over an existing file (a link is atomic and refuses one); where links are
        // not supported (some network shares), a rename once the name is seen free.
        if (::link(tmp.c_str(), target.c_str()) != 0) {
            int err = errno;
            std::error_code ec;
            if (err == EEXIST || std::filesystem::exists(target, ec))
                throw db_error(SQLITE_CANTOPEN, "refusing to overwrite " + target.string());
            if (::rename(tmp.c_str(), target.c_str()) != 0)
                throw db_error(SQLITE_CANTOPEN, "cannot create " + target.string() + ": " + std::strerror(errno));
        }
        cleanup();
        fsync_path(dir, O_RDONLY | O_DIRECTORY);
    } catch (...) {
        cleanup();
        throw;
    }
}

}  // namespace relais::db
