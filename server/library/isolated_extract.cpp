#include "library/isolated_extract.hpp"

#include "library/errors.hpp"
#include "common/log.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>

namespace relais::library {
namespace {

std::mutex children_mutex;
std::set<pid_t> children;
bool stopping = false;  // under children_mutex: after kill_extractions, none starts

constexpr std::array<const error_def*, 8> child_errors{&errors::file_type,      &errors::file_mismatch, &errors::file_corrupt,
                                                      &errors::file_encrypted, &errors::file_bomb,     &errors::file_too_large,
                                                      &errors::invalid_field,  &errors::file_too_complex};

const error_def& error_for(std::string_view code) {
    for (const auto* e : child_errors)
        if (e->code == code) return *e;
    return errors::file_corrupt;
}

struct fd {
    int v = -1;
    fd() = default;
    explicit fd(int x) : v(x) {}
    fd(const fd&) = delete;
    fd& operator=(const fd&) = delete;
    ~fd() { reset(); }
    void reset() {
        if (v >= 0) ::close(v);
        v = -1;
    }
};

// AddressSanitizer reserves terabytes of address space for its shadow memory when a
// process starts, so under RLIMIT_AS a sanitized child aborts before main. The debug
// preset's extractions therefore run without the address-space limit (CPU time, the
// wall-clock deadline and the extractor's own bounds still apply); release builds keep it.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool address_sanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool address_sanitizer = true;
#else
constexpr bool address_sanitizer = false;
#endif
#else
constexpr bool address_sanitizer = false;
#endif

// Between fork and exec only async-signal-safe calls.
[[noreturn]] void child_exec(int in, int out, const isolation& iso, const char* const argv[]) {
    ::dup2(in, 0);
    ::dup2(out, 1);
    int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, 2);
    // Nothing of the server's (database, sockets) crosses into the child.
    if (::syscall(SYS_close_range, 3u, ~0u, 0u) != 0)
        for (int i = 3; i < 4096; ++i) ::close(i);
    struct rlimit cpu{static_cast<rlim_t>(iso.cpu_seconds), static_cast<rlim_t>(iso.cpu_seconds + 1)};
    ::setrlimit(RLIMIT_CPU, &cpu);
    if (!address_sanitizer) {
        struct rlimit as{static_cast<rlim_t>(iso.memory_bytes), static_cast<rlim_t>(iso.memory_bytes)};
        ::setrlimit(RLIMIT_AS, &as);
    }
    struct rlimit none{0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::setrlimit(RLIMIT_FSIZE, &none);
    struct rlimit procs{0, 0};
    ::setrlimit(RLIMIT_NPROC, &procs);
    ::setpriority(PRIO_PROCESS, 0, 10);  // sign-ins and searches go first
    ::execv(iso.exe.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
}

}  // namespace

extracted extract_isolated(const isolation& iso, std::string_view filename, std::string_view bytes) {
    if (iso.exe.empty()) return extract(filename, bytes);
    checked_extension(filename);  // refuse a bad name before starting anything
    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    fd in_r(in_pipe[0]), in_w(in_pipe[1]);
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    fd out_r(out_pipe[0]), out_w(out_pipe[1]);
    std::string exe = iso.exe.string(), name(filename);
    const char* argv[] = {exe.c_str(), "extract", "--name", name.c_str(), nullptr};

    pid_t pid;
    {
        std::lock_guard lock(children_mutex);
        if (stopping) throw api_error(errors::unavailable);
        pid = ::fork();
        if (pid == 0) child_exec(in_r.v, out_w.v, iso, argv);
        if (pid < 0) throw std::runtime_error("fork failed");
        children.insert(pid);
    }
    in_r.reset();
    out_w.reset();
    ::fcntl(in_w.v, F_SETFL, O_NONBLOCK);
    ::fcntl(out_r.v, F_SETFL, O_NONBLOCK);

    const std::size_t max_output = extract_limits{}.max_text_bytes + 4096;
    auto deadline = std::chrono::steady_clock::now() + iso.wall;
    std::string output;
    std::size_t written = 0;
    bool timed_out = false, overflow = false;
    char buf[64 * 1024];
    while (out_r.v >= 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        struct pollfd fds[2];
        int n = 0;
        fds[n++] = {out_r.v, POLLIN, 0};
        if (in_w.v >= 0) fds[n++] = {in_w.v, POLLOUT, 0};
        int r = ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000)));
        if (r < 0 && errno != EINTR) break;
        if (r <= 0) continue;
        if (n == 2 && (fds[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            auto w = ::write(in_w.v, bytes.data() + written, std::min<std::size_t>(bytes.size() - written, sizeof buf));
            if (w > 0) written += static_cast<std::size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) in_w.reset();  // the child is gone (EPIPE)
            if (written == bytes.size()) in_w.reset();                     // end of input
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            auto got = ::read(out_r.v, buf, sizeof buf);
            if (got == 0) break;
            if (got < 0) {
                if (errno == EAGAIN || errno == EINTR) continue;
                break;
            }
            output.append(buf, static_cast<std::size_t>(got));
            if (output.size() > max_output) {
                overflow = true;
                break;
            }
        }
    }
    in_w.reset();
    out_r.reset();
    if (timed_out || overflow) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    {
        std::lock_guard lock(children_mutex);
        children.erase(pid);
    }
    if (timed_out || overflow || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log::warn("extraction_stopped", {{"file", name},
                                         {"reason", timed_out ? "deadline" : overflow ? "output" : WIFSIGNALED(status) ? "signal" : "exit"},
                                         {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0}});
        throw api_error(errors::file_too_complex);
    }
    // "ok <mime>\n<text>" or "error <code>\n"
    auto nl = output.find('\n');
    if (nl == std::string::npos) throw api_error(errors::file_too_complex);
    std::string head = output.substr(0, nl);
    if (head.rfind("error ", 0) == 0) throw api_error(error_for(head.substr(6)));
    if (head.rfind("ok ", 0) != 0) throw api_error(errors::file_too_complex);
    return extracted{head.substr(3), output.substr(nl + 1)};
}

void kill_extractions() {
    std::lock_guard lock(children_mutex);
    stopping = true;
    for (auto pid : children) ::kill(pid, SIGKILL);
}

int extract_child_main(const std::string& filename) {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    try {
        auto out = extract(filename, bytes);
        std::cout << "ok " << out.mime << '\n' << out.text;
    } catch (const api_error& e) {
        std::cout << "error " << e.code() << '\n';
    } catch (const std::bad_alloc&) {
        std::cout << "error " << errors::file_too_complex.code << '\n';
    } catch (const std::exception&) {
        std::cout << "error " << errors::file_corrupt.code << '\n';
    }
    std::cout.flush();
    return std::cout ? 0 : 1;
}

}  // namespace relais::library
