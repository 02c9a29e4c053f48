import Foundation
import TapeGrad
import TapeGradLayers
import TapeGradFormats

/// A saved AutoRec model: everything prediction needs in one safetensors file.
///
/// Its size is dominated by the networks: every averaged network of the main model and of each
/// blended model is kept, because prediction averages them all (sizes in Docs/AutoRec.md). The
/// optimizer state is only written when given (the
/// `autorec` program does not: prediction never reads it).
///
/// Tensors: the parameters under their graph names (`encoder.weight` …, F32; further ensemble
/// members under `ensemble/1/encoder.weight` …), the optimizer
/// state under `optimizer/` when saved, the raw user and item ids (`data/user_ids`,
/// `data/item_ids`, I64) and the training ratings that form the model's input rows
/// (`data/user_index`, `data/item_index` I32, `data/rating` F32). A blended model adds its
/// first further model's parameters (e.g. U-AutoRec beside I-AutoRec) under `blend/` (its
/// ensemble members under `blend/ensemble/1/` …), and the j-th further model (j ≥ 1, e.g. the
/// denoising I-AutoRec) under `blend/member/j/` (`blend/member/j/ensemble/1/` …). Metadata:
/// the format name and version, the configuration as JSON (and `blend_configuration`,
/// `blend_weight`, then `blend_configuration_j`, `blend_weight_j`), the rating scale, and how
/// the data was split, so that
/// `autorec evaluate` reproduces the numbers `autorec train` printed without the training file.
/// The file opens in numpy (`safetensors.numpy.load_file`) or PyTorch.
public struct ModelFile: Sendable {
    /// The format tag in the metadata; files without it are rejected as foreign.
    public static let format = "tapegrad-autorec"
    /// The version this code writes. Version 2 stores the decoder weight inputs × k (its
    /// ``WeightLayout/outputsByInputs`` layout); version 1 files (k × inputs) are still read and
    /// converted on loading. Version 3 may hold more than one blended model
    /// (`blend/member/j/`); code that reads only version 2 would ignore those and predict
    /// wrongly, so the version tells it to refuse. Version 2 files read as version 3.
    public static let version = "3"

    /// The trained model.
    public var recommender: Recommender
    /// The optimizer's state at the end of training, if saved.
    public var optimizerState: Parameters<Float>?
    /// Free-form facts about the run (the split seed and test fraction, the data source …).
    public var info: [String: String]

    /// Wraps a model for saving.
    public init(recommender: Recommender, optimizerState: Parameters<Float>? = nil, info: [String: String] = [:]) {
        self.recommender = recommender
        self.optimizerState = optimizerState
        self.info = info
    }

    /// Writes the file atomically (a temporary file renamed over the target), so an interrupted
    /// save leaves any previous file intact. Blended models of weight 0 are left out: prediction
    /// skips them, so the loaded model predicts the same with a smaller file.
    public func write(to path: String) throws {
        let r = recommender
        let blend = r.blend.filter { $0.weight > 0 }
        var metadata = info.mapValues { $0 }
        metadata["format"] = ModelFile.format
        metadata["version"] = ModelFile.version
        // Sorted keys: the same model must give the same bytes (JSONEncoder's key order varies
        // from one encoder to the next otherwise).
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        metadata["configuration"] = String(decoding: try encoder.encode(r.model.configuration), as: UTF8.self)
        metadata["scale_minimum"] = String(r.scale.minimum)
        metadata["scale_maximum"] = String(r.scale.maximum)
        for (j, component) in blend.enumerated() {
            let suffix = ModelFile.blendSuffix(j)
            metadata["blend_configuration" + suffix] = String(decoding: try encoder.encode(component.model.configuration), as: UTF8.self)
            // Float's description round-trips exactly.
            metadata["blend_weight" + suffix] = String(component.weight)
        }
        var file = SafeTensors(metadata: metadata)
        try ModelFile.add(r.ensemble, prefix: "", to: &file)
        for (j, component) in blend.enumerated() {
            try ModelFile.add(component.ensemble, prefix: ModelFile.blendPrefix(j), to: &file)
        }
        if let optimizerState { try file.add(optimizerState, prefix: "optimizer/") }
        let t = r.training
        try file.add("data/user_ids", t.users.rawIds, shape: [t.userCount])
        try file.add("data/item_ids", t.items.rawIds, shape: [t.itemCount])
        try file.add("data/user_index", t.userIndices, shape: [t.count])
        try file.add("data/item_index", t.itemIndices, shape: [t.count])
        try file.add("data/rating", t.values, shape: [t.count])
        try file.write(to: URL(fileURLWithPath: path))
    }

    /// Reads and validates a file written by ``write(to:)``. Errors name the file and the
    /// problem: not a safetensors file, truncated, another program's file, a parameter whose
    /// shape does not fit the configuration, indices outside the id maps.
    public init(contentsOf path: String) throws(CheckpointError) {
        var file: SafeTensors
        do {
            file = try SafeTensors(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointError("\(error)")
        }
        guard file.metadata["format"] == ModelFile.format else {
            throw CheckpointError("\(path): not an autorec model file (no \"format\": \"\(ModelFile.format)\" in its metadata)")
        }
        switch file.metadata["version"] {
        case ModelFile.version, "2": break
        case "1": try ModelFile.upgradeFromVersion1(&file, path: path)
        case let other:
            throw CheckpointError("\(path): model file version \(other ?? "?") is not supported (expected 1, 2 or \(ModelFile.version))")
        }
        guard let json = file.metadata["configuration"],
              let configuration = try? JSONDecoder().decode(AutoRecConfiguration.self, from: Data(json.utf8)) else {
            throw CheckpointError("\(path): the model configuration in the metadata is missing or invalid")
        }
        guard let low = file.metadata["scale_minimum"].flatMap(Double.init),
              let high = file.metadata["scale_maximum"].flatMap(Double.init), low.isFinite, high.isFinite, low <= high else {
            throw CheckpointError("\(path): the rating scale in the metadata is missing or invalid")
        }
        let training: RatingSet
        do {
            let userIds: [Int64] = try file.values("data/user_ids")
            let itemIds: [Int64] = try file.values("data/item_ids")
            let users: [Int32] = try file.values("data/user_index")
            let items: [Int32] = try file.values("data/item_index")
            let ratings: [Float] = try file.values("data/rating")
            guard users.count == items.count, items.count == ratings.count else {
                throw CheckpointError("\(path): the training ratings have \(users.count) users, \(items.count) items and \(ratings.count) ratings")
            }
            guard users.allSatisfy({ $0 >= 0 && Int($0) < userIds.count }), items.allSatisfy({ $0 >= 0 && Int($0) < itemIds.count }) else {
                throw CheckpointError("\(path): a training rating refers to a user or item outside the id maps")
            }
            // Ids are non-negative (the readers refuse others; IdMap's table relies on it).
            guard userIds.allSatisfy({ $0 >= 0 }), itemIds.allSatisfy({ $0 >= 0 }) else {
                throw CheckpointError("\(path): the id maps contain a negative id")
            }
            guard Set(userIds).count == userIds.count, Set(itemIds).count == itemIds.count else {
                throw CheckpointError("\(path): the id maps contain duplicates")
            }
            guard ratings.allSatisfy({ $0.isFinite }) else {
                throw CheckpointError("\(path): a training rating is not a finite number")
            }
            var pairs = Set<Int64>(minimumCapacity: users.count)
            for k in users.indices where !pairs.insert(Int64(users[k]) << 32 | Int64(items[k])).inserted {
                throw CheckpointError("\(path): training rating \(k) repeats a (user, item) pair")
            }
            training = RatingSet(users: IdMap(rawIds: userIds), items: IdMap(rawIds: itemIds), userIndices: users,
                                 itemIndices: items, values: ratings)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError("\(path): \(error)")
        }
        let inputSize = configuration.kind == .item ? training.userCount : training.itemCount
        do {
            let model = try AutoRec(configuration: configuration, inputSize: inputSize)
            let ensemble = try ModelFile.ensemble(for: model.graph, prefix: "", in: file, path: path)
            var blend = [BlendComponent]()
            while let json = file.metadata["blend_configuration" + ModelFile.blendSuffix(blend.count)] {
                let suffix = ModelFile.blendSuffix(blend.count), prefix = ModelFile.blendPrefix(blend.count)
                guard let blendConfiguration = try? JSONDecoder().decode(AutoRecConfiguration.self, from: Data(json.utf8)),
                      let weight = file.metadata["blend_weight" + suffix].flatMap(Float.init), weight >= 0, weight <= 1 else {
                    throw CheckpointError("\(path): the blend configuration or weight\(suffix) in the metadata is invalid")
                }
                let blendModel = try AutoRec(configuration: blendConfiguration,
                                             inputSize: blendConfiguration.kind == .item ? training.userCount : training.itemCount)
                let members = try ModelFile.ensemble(for: blendModel.graph, prefix: prefix, in: file, path: path)
                blend.append(BlendComponent(model: blendModel, ensemble: members, weight: weight))
            }
            if let stray = file.names.first(where: { $0.hasPrefix(ModelFile.blendPrefix(blend.count)) }) {
                throw CheckpointError("\(path): tensor '\(stray)' belongs to a blended model without a configuration in the metadata")
            }
            recommender = try Recommender(model: model, ensemble: ensemble, training: training,
                                          scale: RatingScale(minimum: low, maximum: high), blend: blend)
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError("\(path): \(error)")
        }
        optimizerState = try file.optionalParameters(prefix: "optimizer/", file: path)
        info = file.metadata.filter { !["format", "version", "configuration", "scale_minimum", "scale_maximum"].contains($0.key)
            && !$0.key.hasPrefix("blend_configuration") && !$0.key.hasPrefix("blend_weight") }
    }

    /// Writes a model's ensemble: the first member's parameters under `prefix`, member i
    /// under `prefix + "ensemble/i/"` (the layout of the main model and of each blended one).
    static func add(_ ensemble: [Parameters<Float>], prefix: String, to file: inout SafeTensors) throws(SafeTensorsError) {
        for (i, member) in ensemble.enumerated() { try file.add(member, prefix: i == 0 ? prefix : prefix + "ensemble/\(i)/") }
    }

    /// Reads what ``add(_:prefix:to:)`` wrote, checking every member against `graph`.
    static func ensemble(for graph: Graph, prefix: String, in file: SafeTensors, path: String) throws(CheckpointError) -> [Parameters<Float>] {
        var ensemble: [Parameters<Float>] = [try file.parameters(for: graph, prefix: prefix, file: path)]
        while file.names.contains(where: { $0.hasPrefix(prefix + "ensemble/\(ensemble.count)/") }) {
            ensemble.append(try file.parameters(for: graph, prefix: prefix + "ensemble/\(ensemble.count)/", file: path))
        }
        return ensemble
    }

    /// The metadata key suffix of the j-th blended model: none for the first (as in files with
    /// a single blended model), `_j` after it.
    static func blendSuffix(_ j: Int) -> String { j == 0 ? "" : "_\(j)" }

    /// The tensor name prefix of the j-th blended model: `blend/` for the first,
    /// `blend/member/j/` after it.
    static func blendPrefix(_ j: Int) -> String { j == 0 ? "blend/" : "blend/member/\(j)/" }

    /// Version 1 stored every `decoder.weight` (parameters, ensemble members, optimizer state
    /// slots) k × inputs; version 2 stores it transposed. Rewrites those entries in place.
    static func upgradeFromVersion1(_ file: inout SafeTensors, path: String) throws(CheckpointError) {
        for name in file.names where name.split(separator: "/").contains("decoder.weight") {
            guard let entry = file.remove(named: name), entry.shape.count == 2 else {
                throw CheckpointError("\(path): version 1 tensor '\(name)' is not a matrix")
            }
            let (rows, columns, size) = (entry.shape[0], entry.shape[1], entry.dtype.byteSize)
            guard rows * columns * size == entry.bytes.count else {
                throw CheckpointError("\(path): version 1 tensor '\(name)' has \(entry.bytes.count) bytes for shape \(entry.shape)")
            }
            var bytes = [UInt8](repeating: 0, count: entry.bytes.count)
            for r in 0..<rows {
                for c in 0..<columns {
                    let (from, to) = ((r * columns + c) * size, (c * rows + r) * size)
                    for b in 0..<size { bytes[to + b] = entry.bytes[from + b] }
                }
            }
            do {
                try file.add(name, dtype: entry.dtype, shape: [columns, rows], bytes: bytes)
            } catch {
                throw CheckpointError("\(path): \(error)")
            }
        }
    }
}
