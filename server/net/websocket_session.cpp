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
}

asio::awaitable<void> websocket_session::run(http::request<http::string_body>& req) {
    auto self = shared_from_this();
    auto& s = *srv_;
    registration<websocket_session> registered(s, s.ws_sessions, this);

    beast::get_lowest_layer(ws_).expires_never();
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = s.opts.ws_idle_timeout;
    t.keep_alive_pings = true;  // a ping at half the idle time; a silent peer is closed
    ws_.set_option(t);
    ws_.read_message_max(s.opts.ws_message_max_bytes);
    // One frame per message, written straight from the queued texts (gather write):
    // Beast's default splits a message into 4 KiB frames, one socket write each.
    ws_.auto_fragment(false);
    ws_.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
        res.set(http::field::server, "Relais");
    }));
    auto [ec] = co_await ws_.async_accept(req, asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
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
    s.m_ws_connections.add(-1);
    log::info("ws_closed", {{"rid", id_}});
    s.ws->on_close(self);
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

// The write path is a chain of completion handlers on the strand, not a coroutine: it
// runs once per message and per socket (a broadcast to a room), where a coroutine frame
// per burst cost more than the write.
void websocket_session::start_writing() {
    if (writing_) return;
    writing_ = true;
    write_next();
}

void websocket_session::write_next() {
    if (queue_.empty() || dropped_) return finish_writing();
    // Coalesce what is queued into one frame, messages separated by '\n'
    // (docs/protocol.md): a busy room costs one write per socket, not per event. The
    // frame is gathered from the queued texts themselves, which broadcasts share between
    // sockets: nothing is copied, whether the frame holds one message or many.
    static const char newline = '\n';
    std::size_t counted = 0, size = 0;
    frame_.clear();
    writing_texts_.clear();
    while (!queue_.empty() && (frame_.empty() || size + queue_.front().text->size() < 256 * 1024)) {
        auto& q = queue_.front();
        if (!frame_.empty()) {
            frame_.emplace_back(&newline, 1);
            ++size;
        }
        frame_.emplace_back(q.text->data(), q.text->size());
        size += q.text->size();
        if (!q.large) counted += q.text->size();
        writing_texts_.push_back(std::move(q.text));
        queue_.pop_front();
    }
    queued_bytes_ -= std::min(queued_bytes_, counted);
    ws_.text(true);
    auto on_write = [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); };
    // One message (the common case): its buffer alone, no buffer sequence to copy.
    if (frame_.size() == 1) ws_.async_write(frame_.front(), std::move(on_write));
    else ws_.async_write(frame_, std::move(on_write));
}

void websocket_session::on_write(beast::error_code ec) {
    writing_texts_.clear();
    if (ec) {
        // The peer went away (or stalled past the deadline): not a slow reader.
        close_now();
        return finish_writing();
    }
    srv_->m_ws_out.inc();
    write_next();
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
