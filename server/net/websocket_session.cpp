#include "net/websocket_session.hpp"

#include "common/errors.hpp"
#include "common/log.hpp"
#include "common/metrics.hpp"

#include <nlohmann/json.hpp>

namespace relais::net {

websocket_session::websocket_session(beast::tcp_stream stream, std::shared_ptr<server::impl> srv,
                                     connection_slot slot, std::string id, std::any context)
    : ws_(std::move(stream)), srv_(std::move(srv)), slot_(std::move(slot)), id_(std::move(id)),
      context_(std::move(context)) {
    auto ex = ws_.get_executor();
    if (auto* s = ex.target<asio::strand<asio::io_context::executor_type>>()) strand_ = *s;
    else if (auto* l = ex.target<asio::io_context::executor_type>()) loop_ = *l;
}

asio::awaitable<void> websocket_session::run(http::request<http::string_body>& req) {
    auto self = shared_from_this();
    auto& s = *srv_;
    registration<websocket_session> registered(s, s.ws_sessions, this);

    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    // Keep-alive is ours (on_idle_tick): Beast's pings would be written under our frames.
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
    ws_.control_callback([this](websocket::frame_type kind, beast::string_view) { on_control(kind); });
    ws_.read_message_max(s.opts.ws_message_max_bytes);
    // One frame per message, written straight from the queued texts (gather write):
    // Beast's default splits a message into 4 KiB frames, one socket write each.
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, "Relais");
    }));
    auto [ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    {
        // Our writes try once and never wait (write_next); Beast's asynchronous
        // operations do not depend on this mode.
        boost::system::error_code nb;
        beast::get_lowest_layer(ws_).socket().non_blocking(true, nb);
        if (nb) co_return;
    }
    idle_timer_.emplace(ws_.get_executor());
    start_idle_timer();
    open_ = true;
    s.m_ws_connections.add(1);
    log::info("ws_open", {{"rid", id_}, {"addr", slot_.address()}});
    s.ws->on_open(self);
    for (;;) {
        auto [rec, n] = co_await ws_.async_read(buffer_, asio::as_tuple(asio::use_awaitable));
        if (rec) {
            if (rec == websocket::error::message_too_big) {
                log::info("ws_message_too_big", {{"rid", id_}});
            }
            break;
        }
        s.m_ws_in.inc();
        heard_ = true;
        if (!ws_.got_text()) {
            nlohmann::json err = {{"type", "error"}, {"code", "format_invalide"},
                                  {"message", "Seuls les messages texte (JSON) sont acceptés."}};
            enqueue(std::make_shared<const std::string>(err.dump()));
        } else {
            auto data = buffer_.data();
            std::string_view text(static_cast<const char*>(data.data()), data.size());
            s.ws->on_message(self, text);
        }
        buffer_.consume(buffer_.size());
    }
    open_ = false;
    closed_ = true;
    idle_timer_->cancel();
    s.m_ws_connections.add(-1);
    log::info("ws_closed", {{"rid", id_}});
    notify_closed();
}

void websocket_session::notify_closed() {
    if (close_told_) return;
    close_told_ = true;
    srv_->ws->on_close(shared_from_this());
}

void websocket_session::send(std::string text) {
    send_shared(std::make_shared<const std::string>(std::move(text)), false);
}

void websocket_session::send_large(std::string text) {
    send_shared(std::make_shared<const std::string>(std::move(text)), true);
}

void websocket_session::send_shared(std::shared_ptr<const std::string> text, bool large) {
    push({std::move(text), {}, large});
}

void websocket_session::post(std::function<void()> f) {
    push({nullptr, std::move(f), false});
}

void websocket_session::close(std::uint16_t code, std::string reason) {
    // `this` stays alive: take_inbox runs with a shared_ptr to the session.
    push({nullptr, [this, code, reason = std::move(reason)] {
              if (dropped_ || close_reason_) return;
              close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
              start_writing();
          },
          false});
}

void websocket_session::push(inbound item) {
    bool post_now = false;
    {
        std::lock_guard lock(inbox_mutex_);
        inbox_.push_back(std::move(item));
        post_now = !inbox_posted_;
        inbox_posted_ = true;
    }
    if (!post_now) return;
    auto take = [self = shared_from_this()] { self->take_inbox(); };
    if (strand_) asio::post(*strand_, std::move(take));
    else if (loop_) asio::post(*loop_, std::move(take));
    else asio::post(ws_.get_executor(), std::move(take));
}

// On the strand.
void websocket_session::take_inbox() {
    {
        std::lock_guard lock(inbox_mutex_);
        inbox_taken_.swap(inbox_);
        inbox_posted_ = false;
    }
    for (auto& item : inbox_taken_) {
        if (item.text) enqueue(std::move(item.text), item.large);
        else if (item.fn) item.fn();
    }
    inbox_taken_.clear();
}

void websocket_session::enqueue(std::shared_ptr<const std::string> text, bool large) {
    if (dropped_ || close_reason_) return;
    if (queue_.size() >= srv_->opts.ws_send_queue_max ||
        (!large && queued_bytes_ + text->size() > srv_->opts.ws_send_queue_max_bytes)) {
        drop("send_queue_full");
        return;
    }
    if (!large) queued_bytes_ += text->size();
    queue_.push_back({std::move(text), large});
    start_writing();
}

// The write path is a loop on the strand, not a coroutine: it runs once per message and
// per socket (a broadcast to a room). Each frame is first offered to the kernel with one
// non-blocking gather write; only what it does not take waits for the socket to drain.
void websocket_session::start_writing() {
    if (writing_) return;
    writing_ = true;
    write_next();
}

void websocket_session::write_next() {
    static const char newline = '\n';
    // Beast writes at most 64 buffers a call: a header and two per message.
    constexpr std::size_t max_messages = 30;
    constexpr std::size_t max_frame = 256 * 1024;
    auto& socket = beast::get_lowest_layer(ws_).socket();
    for (;;) {
        if (queue_.empty() || dropped_) return finish_writing();
        frame_.clear();
        writing_texts_.clear();
        writing_ping_ = queue_.front().ping;
        if (writing_ping_) {
            queue_.pop_front();
            header_[0] = 0x89;  // FIN, ping
            header_[1] = 0;
            frame_.emplace_back(header_.data(), 2);
            frame_bytes_ = 2;
        } else {
            // Coalesce what is queued into one text frame, messages separated by '\n'
            // (docs/protocol.md): a busy room costs one write per socket, not per event.
            // The frame is gathered from the queued texts themselves, which broadcasts
            // share between sockets: nothing is copied.
            frame_.emplace_back();  // the header, once the length is known
            std::size_t counted = 0, size = 0, messages = 0;
            while (!queue_.empty() && !queue_.front().ping && messages < max_messages &&
                   (messages == 0 || size + 1 + queue_.front().text->size() <= max_frame)) {
                auto& q = queue_.front();
                if (messages > 0) {
                    frame_.emplace_back(&newline, 1);
                    ++size;
                }
                frame_.emplace_back(q.text->data(), q.text->size());
                size += q.text->size();
                if (!q.large) counted += q.text->size();
                writing_texts_.push_back(std::move(q.text));
                queue_.pop_front();
                ++messages;
            }
            queued_bytes_ -= std::min(queued_bytes_, counted);
            // RFC 6455 §5.2: FIN + text; the server does not mask.
            std::size_t header = 2;
            header_[0] = 0x81;
            if (size < 126) {
                header_[1] = static_cast<unsigned char>(size);
            } else if (size <= 0xFFFF) {
                header_[1] = 126;
                header_[2] = static_cast<unsigned char>(size >> 8);
                header_[3] = static_cast<unsigned char>(size);
                header = 4;
            } else {
                header_[1] = 127;
                for (int i = 0; i < 8; ++i) header_[2 + i] = static_cast<unsigned char>(static_cast<std::uint64_t>(size) >> (56 - 8 * i));
                header = 10;
            }
            frame_.front() = asio::const_buffer(header_.data(), header);
            frame_bytes_ = header + size;
        }
        if (control_reply_) return write_through_beast();
        beast::error_code ec;
        std::size_t n = socket.write_some(frame_, ec);
        if (ec == asio::error::would_block || ec == asio::error::try_again) {
            n = 0;
            ec = {};
        }
        if (ec) {
            // The peer went away: not a slow reader.
            writing_texts_.clear();
            close_now();
            return finish_writing();
        }
        if (n < frame_bytes_) return write_rest(n);
        srv_->m_ws_out.inc();
        writing_texts_.clear();
    }
}

void websocket_session::write_rest(std::size_t written) {
    // Drop what the kernel took; the rest goes when the socket can take it.
    std::size_t i = 0;
    while (written > 0 && written >= frame_[i].size()) written -= frame_[i++].size();
    frame_.erase(frame_.begin(), frame_.begin() + static_cast<std::ptrdiff_t>(i));
    if (written > 0) frame_.front() += written;
    raw_pending_ = true;
    srv_->m_ws_deferred.inc();
    asio::async_write(beast::get_lowest_layer(ws_).socket(), frame_,
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                          self->raw_pending_ = false;
                          self->written(ec);
                      });
}

// An asynchronous write of a frame ended: the next one, or the end.
void websocket_session::written(beast::error_code ec) {
    writing_texts_.clear();
    if (ec) {
        close_now();  // the peer went away: not a slow reader
        return finish_writing();
    }
    srv_->m_ws_out.inc();
    write_next();
}

// After the peer's ping: Beast's pong may still be on its way, and Beast's own write
// waits for it. One frame goes this way, then the fast path again.
void websocket_session::write_through_beast() {
    auto done = [self = shared_from_this()](beast::error_code ec, std::size_t = 0) {
        self->control_reply_ = false;
        self->written(ec);
    };
    if (writing_ping_) {
        ws_.async_ping({}, [done](beast::error_code ec) mutable { done(ec); });
        return;
    }
    frame_.erase(frame_.begin());  // Beast writes its own header
    ws_.text(true);
    ws_.async_write(frame_, std::move(done));
}

// Inside Beast's read, on the strand, before Beast answers a ping or a close.
void websocket_session::on_control(websocket::frame_type kind) {
    heard_ = true;
    if (kind == websocket::frame_type::pong) return;
    // The peer is leaving: its rooms need not wait for the end of the closing handshake
    // (posted: this runs inside Beast's read).
    if (kind == websocket::frame_type::close)
        asio::post(ws_.get_executor(), [self = shared_from_this()] { self->notify_closed(); });
    if (raw_pending_) {
        // Beast's answer would be written inside the frame of ours that is half sent:
        // a peer that is that far behind and pings is dropped, as a full queue would be.
        drop("control_during_write");
        return;
    }
    control_reply_ = true;
}

void websocket_session::start_idle_timer() {
    idle_timer_->expires_after(srv_->opts.ws_idle_timeout / 2);
    idle_timer_->async_wait([self = shared_from_this()](beast::error_code ec) {
        if (!ec) self->on_idle_tick();
    });
}

// Every half idle time: a ping after one silent half, closed after two.
void websocket_session::on_idle_tick() {
    if (closed_ || dropped_) return;
    if (heard_) {
        heard_ = false;
        silent_ticks_ = 0;
    } else if (++silent_ticks_ >= 2) {
        log::info("ws_idle_timeout", {{"rid", id_}});
        close_now();
        return;
    } else if (!close_reason_) {
        queue_.push_back({nullptr, true, true});
        start_writing();
    }
    start_idle_timer();
}

void websocket_session::finish_writing() {
    if (close_reason_ && !dropped_ && ws_.is_open()) {
        beast::get_lowest_layer(ws_).expires_after(std::chrono::seconds(2));
        ws_.async_close(*close_reason_, [self = shared_from_this()](beast::error_code) { self->writing_ = false; });
        return;
    }
    writing_ = false;
}

void websocket_session::drop(const char* why) {
    if (dropped_) return;
    srv_->m_ws_dropped.inc();
    log::warn("ws_dropped", {{"rid", id_}, {"reason", why}});
    close_now();
}

void websocket_session::close_now() {
    if (dropped_) return;
    dropped_ = true;
    queue_.clear();
    queued_bytes_ = 0;
    boost::system::error_code ec;
    beast::get_lowest_layer(ws_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(ws_).socket().close(ec);
}

}  // namespace relais::net
