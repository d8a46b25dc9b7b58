package demo.kotlin

import demo.model.HarModel
import java.io.File
import kotlin.math.abs
import kotlin.math.max

/**
 * Calls the generated Java model from Kotlin: whole windows, the batch API and a streaming session
 * whose states are saved and restored. Usage: MainKt INPUTS.csv EXPECTED.csv (the demo's files).
 * The generated methods never return null: declare the Kotlin types (FloatArray) to drop the
 * platform types.
 */
fun main(args: Array<String>) {
    fun rows(path: String): List<FloatArray> =
        File(path).readLines().filter { it.isNotBlank() }.map { line -> line.split(",").map { it.trim().toFloat() }.toFloatArray() }

    val inputs = rows(args[0])
    val expected = rows(args[1])
    val model = HarModel()
    val (steps, features) = HarModel.INPUT_SHAPE.let { it[0] to it[1] }

    var worst = 0.0f
    for ((x, want) in inputs.zip(expected)) {
        val probs: FloatArray = model.predict(x)
        worst = max(worst, probs.indices.maxOf { abs(probs[it] - want[it]) })
    }

    // the batch API: every sample's inputs, on two threads
    val batch: Array<Array<FloatArray>> = HarModel.predictAllBatch(Array(inputs.size) { arrayOf(inputs[it]) }, 2)
    val batchSame = batch.indices.all { batch[it][0].contentEquals(model.predict(inputs[it])) }

    // streaming: feed half a window, keep the state elsewhere, continue in another session
    val first = model.newSession()
    val x = inputs[0]
    fun frame(t: Int) = x.copyOfRange(t * features, (t + 1) * features)
    for (t in 0 until steps / 2) first.step(frame(t))
    val saved: FloatArray = first.saveState()
    val second = HarModel().newSession()
    second.restoreState(saved)
    var last = FloatArray(0)
    for (t in steps / 2 until steps) last = second.step(frame(t))
    val streamSame = last.contentEquals(model.predict(x))

    println("kotlin: ${inputs.size} samples, max error vs Keras $worst; batch same: $batchSame; " +
        "stream resumed from ${saved.size} saved floats same: $streamSame")
    check(worst <= 1e-5f && batchSame && streamSame) { "mismatch" }
    println("OK: Kotlin caller matches Keras")
}
