package dev.drover.agent.imds;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Parses IMDS JSON strictly: a body that does not match the documented schema is an {@link ImdsException},
 * never a half-filled object. Instance metadata values are all strings (missing ones are ""); Scheduled
 * Events numbers are numbers (specs/azure.md §1.2, §1.10).
 */
final class ImdsJson {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MAX_BODY_BYTES = 256 * 1024;
    private static final int MAX_EVENTS = 1000;

    private ImdsJson() {
    }

    static InstanceMetadata instance(String body) throws ImdsException {
        JsonNode root = parse(body);
        JsonNode compute = root.has("compute") ? root.get("compute") : root;
        if (!compute.isObject()) {
            throw new ImdsException(0, "instance metadata: 'compute' is not an object");
        }
        String name = text(compute, "name");
        if (name.isEmpty()) {
            throw new ImdsException(0, "instance metadata: compute.name is missing");
        }
        JsonNode osProfile = field(compute, "osProfile");
        String computerName = osProfile != null && osProfile.isObject() ? text(osProfile, "computerName") : "";
        return new InstanceMetadata(name, computerName, text(compute, "vmId"), text(compute, "vmScaleSetName"),
                text(compute, "resourceId"), text(compute, "vmSize"), text(compute, "location"),
                text(compute, "zone"), text(compute, "priority"), text(compute, "evictionPolicy"), tags(compute));
    }

    static ScheduledEvents scheduledEvents(String body) throws ImdsException {
        JsonNode root = parse(body);
        JsonNode incarnation = root.get("DocumentIncarnation");
        JsonNode events = root.get("Events");
        if (incarnation == null || !incarnation.canConvertToLong() || events == null || !events.isArray()) {
            throw new ImdsException(0, "scheduled events: DocumentIncarnation (number) and Events (array) required");
        }
        if (events.size() > MAX_EVENTS) {
            throw new ImdsException(0, "scheduled events: " + events.size() + " events exceed limit " + MAX_EVENTS);
        }
        List<ScheduledEvent> list = new ArrayList<>(events.size());
        for (JsonNode e : events) {
            list.add(event(e));
        }
        return new ScheduledEvents(incarnation.asLong(), list);
    }

    private static ScheduledEvent event(JsonNode e) throws ImdsException {
        if (!e.isObject()) {
            throw new ImdsException(0, "scheduled events: an event is not an object");
        }
        String id = text(e, "EventId");
        String type = text(e, "EventType");
        JsonNode resources = e.get("Resources");
        if (id.isEmpty() || type.isEmpty() || resources == null || !resources.isArray()) {
            throw new ImdsException(0, "scheduled events: EventId, EventType and Resources are required");
        }
        List<String> names = new ArrayList<>();
        for (JsonNode r : resources) {
            if (!r.isTextual()) {
                throw new ImdsException(0, "scheduled events: Resources must be strings");
            }
            names.add(r.asText());
        }
        String notBefore = text(e, "NotBefore");
        JsonNode duration = e.get("DurationInSeconds");
        return new ScheduledEvent(id, type, names, text(e, "EventStatus"), notBefore(notBefore),
                text(e, "Description"), text(e, "EventSource"),
                duration != null && duration.canConvertToInt() ? duration.asInt() : -1);
    }

    /** RFC 1123, e.g. {@code Mon, 19 Sep 2016 18:29:47 GMT}; "" once the event has started. */
    static Optional<Instant> notBefore(String text) throws ImdsException {
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ZonedDateTime.parse(text, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
        } catch (DateTimeParseException e) {
            throw new ImdsException(0, "scheduled events: NotBefore '" + text + "' is not an RFC 1123 date");
        }
    }

    /** The {@code signature} of an attested document response ({"encoding":"pkcs7","signature":"..."}). */
    static String attestedSignature(String body) throws ImdsException {
        JsonNode doc = parse(body);
        String encoding = text(doc, "encoding");
        if (!encoding.equals("pkcs7")) {
            throw new ImdsException("attested document: encoding is '" + encoding + "', expected pkcs7", null);
        }
        return text(doc, "signature");
    }

    static String requestBody(List<String> eventIds) {
        var root = JSON.createObjectNode();
        var array = root.putArray("StartRequests");
        eventIds.forEach(id -> array.addObject().put("EventId", id));
        return root.toString();
    }

    private static JsonNode parse(String body) throws ImdsException {
        if (body.length() > MAX_BODY_BYTES) {
            throw new ImdsException(0, "response of " + body.length() + " characters exceeds limit " + MAX_BODY_BYTES);
        }
        try {
            JsonNode root = JSON.readTree(body);
            if (root == null || !root.isObject()) {
                throw new ImdsException(0, "response is not a JSON object");
            }
            return root;
        } catch (JsonProcessingException e) {
            throw new ImdsException(0, "response is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /** A field looked up case-insensitively: IMDS samples spell some keys both ways (e.g. priority). */
    private static JsonNode field(JsonNode node, String name) {
        JsonNode exact = node.get(name);
        if (exact != null) {
            return exact;
        }
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            var f = fields.next();
            if (f.getKey().equalsIgnoreCase(name)) {
                return f.getValue();
            }
        }
        return null;
    }

    private static String text(JsonNode node, String name) throws ImdsException {
        JsonNode v = field(node, name);
        if (v == null || v.isNull()) {
            return "";
        }
        if (!v.isValueNode()) {
            throw new ImdsException(0, "field '" + name + "' is not a plain value");
        }
        return v.asText();
    }

    private static Map<String, String> tags(JsonNode compute) throws ImdsException {
        Map<String, String> tags = new LinkedHashMap<>();
        JsonNode list = field(compute, "tagsList");
        if (list != null && list.isArray()) {
            for (JsonNode t : list) {
                tags.put(text(t, "name"), text(t, "value"));
            }
            return tags;
        }
        for (String pair : text(compute, "tags").split(";")) { // legacy "k:v;k2:v2"
            int colon = pair.indexOf(':');
            if (colon > 0) {
                tags.put(pair.substring(0, colon), pair.substring(colon + 1));
            }
        }
        return tags;
    }
}
