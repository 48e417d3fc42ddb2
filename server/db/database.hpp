#pragma once
// SQLite with RAII: a connection (never shared between threads) that caches its
// prepared statements by SQL text, statements that reset themselves after use, and
// transactions that roll back in their destructor unless committed.
#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace relais::db {

class db_error : public std::runtime_error {
public:
    db_error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }
    /// A UNIQUE or other constraint failed.
    bool is_constraint() const noexcept { return (code_ & 0xff) == SQLITE_CONSTRAINT; }
private:
    int code_;
};

class connection;

/// A prepared statement borrowed from a connection's cache. Bind with 1-based
/// indexes, step through rows, read columns with 0-based indexes.
class statement {
public:
    statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int i, std::int64_t v);
    statement& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    statement& bind(int i, double v);
    statement& bind(int i, std::string_view v);
    statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
    statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
    statement& bind(int i, std::nullptr_t);
    template <class T>
    statement& bind(int i, const std::optional<T>& v) {
        return v ? bind(i, *v) : bind(i, nullptr);
    }

    /// Advances to the next row; false when done.
    bool step();
    /// Runs a statement that returns no rows.
    void exec();

    std::int64_t get_int(int col) const;
    double get_double(int col) const;
    std::string get_text(int col) const;
    bool is_null(int col) const;
    std::optional<std::int64_t> get_opt_int(int col) const;
    std::optional<std::string> get_opt_text(int col) const;

private:
    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

class connection {
public:
    enum class mode { read_write, read_only };
    connection(const std::filesystem::path& file, mode m);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// A cached prepared statement for this SQL text.
    statement prepare(std::string_view sql);
    /// Runs one or more statements without parameters.
    void exec(std::string_view sql);
    std::int64_t last_insert_id() const;
    int changes() const;
    /// True inside BEGIN .. COMMIT (SQLite's autocommit mode is off).
    bool in_transaction() const;
    sqlite3* handle() const noexcept { return db_; }

private:
    sqlite3* db_ = nullptr;
    std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

/// BEGIN IMMEDIATE .. COMMIT; rolls back on destruction unless committed.
class transaction {
public:
    explicit transaction(connection& c);
    ~transaction();
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    void commit();
private:
    connection& c_;
    bool done_ = false;
};

/// BEGIN (deferred) .. COMMIT around a reader's job: every statement of the job reads the
/// same snapshot of the database (the one of its first read), whatever commits meanwhile.
class read_snapshot {
public:
    explicit read_snapshot(connection& c);
    ~read_snapshot();
    read_snapshot(const read_snapshot&) = delete;
    read_snapshot& operator=(const read_snapshot&) = delete;
private:
    connection& c_;
};

/// SAVEPOINT .. RELEASE; rolls back to the savepoint on destruction unless released.
class savepoint {
public:
    savepoint(connection& c, std::string name);
    ~savepoint();
    savepoint(const savepoint&) = delete;
    savepoint& operator=(const savepoint&) = delete;
    void release();
private:
    connection& c_;
    std::string name_;
    bool done_ = false;
};

/// Consistent online copy of the database to `target` (SQLite backup API).
void backup(connection& source, const std::filesystem::path& target);

}  // namespace relais::db
