# A Rails app answering sse-server's auth hook with Rails' own sessions (docs/integration.md,
# section 8): a login puts the user in the session, a logout ends it and has the daemon check
# the user's streams, and GET /sse/auth is what the daemon calls with the browser's cookies
# for every new stream. One file, no database; Rails 6.1 (Debian 12's ruby-rails) or later.
# The controllers are the recipe; the lines at the end only serve them (with Rack 3, from the
# rackup gem: Rackup::Handler::WEBrick).
#
#   PORT=3000 ruby app.rb
#
# and in sse-server.toml:
#
#   [auth]
#   methods = ["hook"]
#   [auth.hook]
#   url = "http://127.0.0.1:3000/sse/auth"
#
# Environment: PORT (default 3000; 0 = any free port), SSE_NOTIFY_URL and SSE_NOTIFY_TOKEN.
require "action_controller/railtie"
require "json"
require "net/http"

class HookApp < Rails::Application
  config.root = __dir__
  config.eager_load = false
  config.logger = Logger.new(nil)
  # Example only: a real app reads its secret from its credentials.
  config.secret_key_base = ENV.fetch("SECRET_KEY_BASE", "example-only-not-a-secret-" * 3)
  # Sessions kept on the server, not Rails' default cookie store: a cookie-store session is
  # the cookie itself, so a logout cannot end it while a copy of the cookie lives, and the
  # hook would go on answering 200 for it. A real app uses its Redis or database here.
  config.cache_store = :memory_store
  config.session_store :cache_store, key: "_hook_session"

  routes.append do
    get "/login", to: "sessions#create"
    get "/logout", to: "sessions#destroy"
    get "/sse/auth", to: "sse_auth#show"
  end
end

class SessionsController < ActionController::Base
  # GET /login?user=42: the user is logged in (an example: a real app checks a password).
  def create
    reset_session # a new session id at login, so that an id planted before it is worthless
    session[:user_id] = params.require(:user).to_s
    session[:groups] = ["team-a"]
    render json: { user: session[:user_id] }
  end

  # Ends the session, then has the daemon check the user's open streams now.
  def destroy
    user_id = session[:user_id]
    reset_session
    revalidate(user_id) if user_id
    head :no_content
  end

  private

  # POST /revalidate {"users":[...]} on the daemon's notification port, with its token.
  def revalidate(user_id)
    notify_url = ENV.fetch("SSE_NOTIFY_URL", "http://127.0.0.1:8081/notify")
    url = URI(notify_url.sub(%r{/notify\z}, "/revalidate"))
    headers = { "Content-Type" => "application/json" }
    token = ENV.fetch("SSE_NOTIFY_TOKEN", "")
    headers["Authorization"] = "Bearer #{token}" unless token.empty?
    answer = Net::HTTP.post(url, { users: [user_id] }.to_json, headers)
    warn "user #{user_id}: not revalidated: #{answer.code}" unless answer.code == "202"
  rescue StandardError => e
    warn "user #{user_id}: not revalidated: #{e.message}"
  end
end

class SseAuthController < ActionController::Base
  # The auth hook: who the request's session is, and what the user may subscribe to.
  def show
    user_id = session[:user_id]
    return render(json: { error: "not logged in" }, status: :unauthorized) if user_id.nil?

    render json: { user: user_id, grants: ["orders:*", "inbox:{user}"],
                   groups: session[:groups] || [] }
  end
end

HookApp.initialize!

# WEBrick, in Ruby's standard gems until 3.0 and a Debian package since: a thread per request,
# so the daemon's call to the hook is answered while a logout waits for /revalidate.
require "rack/handler/webrick"
Rack::Handler::WEBrick.run(HookApp, Host: "127.0.0.1", Port: Integer(ENV.fetch("PORT", "3000")),
                           AccessLog: [],
                           Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN)) do |server|
  puts "listening on http://127.0.0.1:#{server.listeners.first.addr[1]}"
  $stdout.flush
end
