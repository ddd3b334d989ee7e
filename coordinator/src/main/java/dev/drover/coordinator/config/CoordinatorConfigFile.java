package dev.drover.coordinator.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Reads the coordinator's YAML config file; every error names the file and, where known, the field. */
public final class CoordinatorConfigFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private CoordinatorConfigFile() {
    }

    public static CoordinatorConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e.getMessage(), e);
        }
        if (text.isBlank()) {
            throw new ConfigException(file + ": empty config file; at least enrolment must be set");
        }
        try {
            return YAML.readValue(text, CoordinatorConfig.class);
        } catch (JsonMappingException e) {
            throw new ConfigException(file + ": " + describe(e), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": not valid YAML: " + e.getMessage(), e);
        }
    }

    /** Reads a secret from a file (trimmed), naming the config field that pointed at it when it fails. */
    public static String readSecret(String path, String field) {
        try {
            String secret = Files.readString(Path.of(path), StandardCharsets.UTF_8).trim();
            if (secret.isEmpty()) {
                throw new ConfigException(field + ": file " + path + " is empty");
            }
            return secret;
        } catch (IOException e) {
            throw new ConfigException(field + ": cannot read " + path + ": " + e.getMessage(), e);
        }
    }

    /** The shortest token accepted from any source (inline or file): guessing must stay out of reach. */
    public static final int MIN_TOKEN_LENGTH = 16;

    /**
     * Reads tokens from a file, one per line (blank lines ignored), each at least {@link #MIN_TOKEN_LENGTH}
     * characters; an error names the field, the file and the line, never the token.
     */
    public static java.util.List<String> readTokens(String path, String field) {
        java.util.List<String> tokens = new java.util.ArrayList<>();
        String[] lines = readSecret(path, field).split("\n");
        for (int i = 0; i < lines.length; i++) {
            String token = lines[i].trim();
            if (token.isEmpty()) {
                continue;
            }
            if (token.length() < MIN_TOKEN_LENGTH) {
                throw new ConfigException(field + ": the token on line " + (i + 1) + " of " + path + " has "
                        + token.length() + " characters; every token must be at least " + MIN_TOKEN_LENGTH);
            }
            tokens.add(token);
        }
        return tokens;
    }

    static String describe(JsonMappingException e) {
        String path = e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
        if (e instanceof UnrecognizedPropertyException u) {
            return "unknown field '" + path + "'; known fields here: " + u.getKnownPropertyIds();
        }
        Throwable cause = e.getCause();
        // A record's compact constructor refused a value; its message already names the field.
        if (cause instanceof IllegalArgumentException) {
            return cause.getMessage();
        }
        return (path.isEmpty() ? "" : "field '" + path + "': ") + e.getOriginalMessage();
    }
}
