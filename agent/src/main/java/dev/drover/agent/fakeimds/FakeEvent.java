package dev.drover.agent.fakeimds;

import java.time.Instant;
import java.util.List;

/** One scheduled event inside the fake IMDS; mutable only through {@link FakeImds}. */
final class FakeEvent {
    final String id;
    final String type;
    final List<String> resources;
    final String description;
    final Instant notBefore;
    String status = "Scheduled";
    Instant startedAt;

    FakeEvent(String id, String type, List<String> resources, String description, Instant notBefore) {
        this.id = id;
        this.type = type;
        this.resources = List.copyOf(resources);
        this.description = description;
        this.notBefore = notBefore;
    }
}
