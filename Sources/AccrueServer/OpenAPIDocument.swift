import Foundation
import Yams

/// The OpenAPI document (`openapi.yaml` beside this file), served as JSON at /openapi.json.
public enum OpenAPIDocument {
    /// The document's YAML text, as shipped with the binary.
    public static let yaml: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml"),
              let text = try? String(contentsOf: url, encoding: .utf8) else { return "openapi: 3.1.0\n" }
        return text
    }()

    /// The document as JSON, keys sorted.
    public static let json: String = {
        guard let tree = try? Yams.load(yaml: yaml),
              let data = try? JSONSerialization.data(withJSONObject: tree, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }()

    /// Every (method, path) the document declares, as the router prints them.
    public static var operations: Set<String> {
        guard let tree = try? Yams.load(yaml: yaml) as? [String: Any], let paths = tree["paths"] as? [String: Any] else { return [] }
        var result: Set<String> = []
        for (path, item) in paths {
            guard let item = item as? [String: Any] else { continue }
            for method in ["get", "put", "post", "delete", "patch"] where item[method] != nil {
                result.insert(method.uppercased() + " " + path)
            }
        }
        return result
    }
}
