package dev.drover.agent.config;

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

/** Reads the agent's YAML config file; every error names the file and, where known, the field. */
public final class AgentConfigFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private AgentConfigFile() {
    }

    public static AgentConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read config file: " + e.getMessage(), e);
        }
        if (text.isBlank()) {
            return AgentConfig.defaults();
        }
        try {
            return YAML.readValue(text, AgentConfig.class);
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
