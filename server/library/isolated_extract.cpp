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
#include <charconv>
#include <map>
#include <sstream>
#include <vector>
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

constexpr std::array<const error_def*, 9> child_errors{&errors::file_type,      &errors::file_mismatch, &errors::file_corrupt,
                                                      &errors::file_encrypted, &errors::file_bomb,     &errors::file_too_large,
                                                      &errors::invalid_field,  &errors::file_too_complex, &errors::not_found};

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


/// Runs `relais <argv...>` with `input` on stdin under the limits; returns its output
/// (at most max_output bytes). Throws file_too_complex when a limit stopped it.
std::string run_child(const isolation& iso, const std::vector<std::string>& args, std::string_view bytes, std::size_t max_output,
                      const std::string& label) {
    int in_pipe[2], out_pipe[2];
    if (::pipe2(in_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    fd in_r(in_pipe[0]), in_w(in_pipe[1]);
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    fd out_r(out_pipe[0]), out_w(out_pipe[1]);
    std::string exe = iso.exe.string();
    std::vector<const char*> argv{exe.c_str()};
    for (const auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);

    pid_t pid;
    {
        std::lock_guard lock(children_mutex);
        if (stopping) throw api_error(errors::unavailable);
        pid = ::fork();
        if (pid == 0) child_exec(in_r.v, out_w.v, iso, argv.data());
        if (pid < 0) throw std::runtime_error("fork failed");
        children.insert(pid);
    }
    in_r.reset();
    out_w.reset();
    ::fcntl(in_w.v, F_SETFL, O_NONBLOCK);
    ::fcntl(out_r.v, F_SETFL, O_NONBLOCK);

    auto deadline = std::chrono::steady_clock::now() + iso.wall;
    std::string output;
    std::size_t written = 0;
    bool timed_out = false, overflow = false;
    std::vector<char> buffer(64 * 1024);
    char* buf = buffer.data();
    const std::size_t buf_size = buffer.size();
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
            auto w = ::write(in_w.v, bytes.data() + written, std::min<std::size_t>(bytes.size() - written, buf_size));
            if (w > 0) written += static_cast<std::size_t>(w);
            if (w < 0 && errno != EAGAIN && errno != EINTR) in_w.reset();  // the child is gone (EPIPE)
            if (written == bytes.size()) in_w.reset();                     // end of input
        }
        if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            auto got = ::read(out_r.v, buf, buf_size);
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
        log::warn("extraction_stopped", {{"file", label},
                                         {"reason", timed_out ? "deadline" : overflow ? "output" : WIFSIGNALED(status) ? "signal" : "exit"},
                                         {"signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0}});
        throw api_error(errors::file_too_complex);
    }
    return output;
}

// The child's answer: "error <code>\n", or "ok\n" then sections "<key> <length>\n<bytes>".
std::map<std::string, std::string> parse_answer(const std::string& output) {
    auto nl = output.find('\n');
    if (nl == std::string::npos) throw api_error(errors::file_too_complex);
    std::string head = output.substr(0, nl);
    if (head.rfind("error ", 0) == 0) throw api_error(error_for(head.substr(6)));
    if (head != "ok") throw api_error(errors::file_too_complex);
    std::map<std::string, std::string> sections;
    std::size_t at = nl + 1;
    while (at < output.size()) {
        auto eol = output.find('\n', at);
        if (eol == std::string::npos) throw api_error(errors::file_too_complex);
        std::string line = output.substr(at, eol - at);
        auto space = line.find(' ');
        if (space == std::string::npos) throw api_error(errors::file_too_complex);
        std::size_t len = 0;
        auto num = std::string_view(line).substr(space + 1);
        if (std::from_chars(num.data(), num.data() + num.size(), len).ec != std::errc() || len > output.size() - eol - 1)
            throw api_error(errors::file_too_complex);
        sections[line.substr(0, space)] = output.substr(eol + 1, len);
        at = eol + 1 + len;
    }
    return sections;
}

void write_section(std::ostream& out, std::string_view key, std::string_view value) {
    out << key << ' ' << value.size() << '\n';
    out.write(value.data(), static_cast<std::streamsize>(value.size()));
}

int int_of(const std::map<std::string, std::string>& s, const std::string& key) {
    auto it = s.find(key);
    int v = 0;
    if (it != s.end()) std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return v;
}

std::string get(const std::map<std::string, std::string>& s, const std::string& key) {
    auto it = s.find(key);
    return it == s.end() ? std::string() : it->second;
}

// The output's bound: the text, an image encoded again, a thumbnail and an outline.
constexpr std::size_t max_file_output = 96u << 20;

}  // namespace

extracted extract_isolated(const isolation& iso, std::string_view filename, std::string_view bytes) {
    if (iso.exe.empty()) return extract(filename, bytes);
    checked_extension(filename);  // refuse a bad name before starting anything
    std::string name(filename);
    auto out = run_child(iso, {"extract", "--name", name}, bytes, max_file_output, name);
    auto s = parse_answer(out);
    extracted ex;
    ex.mime = get(s, "mime");
    ex.text = get(s, "text");
    ex.file = get(s, "file");
    ex.preview = get(s, "preview");
    auto outline = get(s, "outline");
    for (std::size_t at = 0; at < outline.size();) {
        auto nl = outline.find('\n', at);
        if (nl == std::string::npos) nl = outline.size();
        if (nl > at) ex.outline.push_back(outline.substr(at, nl - at));
        at = nl + 1;
    }
    ex.pages = int_of(s, "pages");
    ex.width = int_of(s, "width");
    ex.height = int_of(s, "height");
    if (ex.mime.empty()) throw api_error(errors::file_too_complex);
    return ex;
}

rendered_page render_page_isolated(const isolation& iso, std::string_view pdf, int page, int width) {
    if (iso.exe.empty()) return render_pdf_page(pdf, page, width);
    auto out = run_child(iso, {"render-page", "--page", std::to_string(page), "--width", std::to_string(width)}, pdf,
                         max_file_output, "page " + std::to_string(page));
    auto s = parse_answer(out);
    rendered_page r;
    r.png = get(s, "png");
    r.text = get(s, "text");
    r.pages = int_of(s, "pages");
    r.width = int_of(s, "width");
    r.height = int_of(s, "height");
    if (r.png.empty()) throw api_error(errors::file_too_complex);
    return r;
}

void kill_extractions() {
    std::lock_guard lock(children_mutex);
    stopping = true;
    for (auto pid : children) ::kill(pid, SIGKILL);
}

namespace {

template <class F>
int answer(F&& work) {
    std::ostringstream body;
    try {
        work(body);
        std::cout << "ok\n" << body.str();
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

}  // namespace

int extract_child_main(const std::string& filename) {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return answer([&](std::ostream& o) {
        auto out = extract(filename, bytes);
        write_section(o, "mime", out.mime);
        write_section(o, "text", out.text);
        if (!out.file.empty()) write_section(o, "file", out.file);
        if (!out.preview.empty()) write_section(o, "preview", out.preview);
        std::string outline;
        for (const auto& line : out.outline) outline += line + '\n';
        if (!outline.empty()) write_section(o, "outline", outline);
        write_section(o, "pages", std::to_string(out.pages));
        write_section(o, "width", std::to_string(out.width));
        write_section(o, "height", std::to_string(out.height));
    });
}

int render_child_main(int page, int width) {
    std::string bytes((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    return answer([&](std::ostream& o) {
        auto r = render_pdf_page(bytes, page, width);
        write_section(o, "png", r.png);
        write_section(o, "text", r.text);
        write_section(o, "pages", std::to_string(r.pages));
        write_section(o, "width", std::to_string(r.width));
        write_section(o, "height", std::to_string(r.height));
    });
}

}  // namespace relais::library
