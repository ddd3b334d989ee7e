package dev.drover.agent.session;

/** What a connection's session tells the client that owns the reconnect loop. Called on the event loop. */
public interface SessionListener {

    /** The coordinator welcomed us: reset the backoff, flush what waited for a session. */
    void established();

    /** The coordinator said why it is closing (Reject or Bye): wait accordingly before the next attempt. */
    void advise(ReconnectAdvice advice);
}
