/* ort_pipe: ONNX Runtime's CPU provider behind a pipe, so Python (which has no onnxruntime here) can
 * run a model file with the exact kernels ONNX Runtime picks for the CPU it sees. Run natively, or
 * under `qemu-x86_64 -cpu Haswell` to get the AVX2 kernels of a processor without VNNI (see
 * models/eval/evaluate_avx2_int8.py; timings under emulation mean nothing, results do).
 *
 *   ort_pipe MODEL.onnx [THREADS]
 *
 * Requests on stdin, repeated until end of file: int32 height, int32 width, float32 denoise, then
 * 3*height*width float32 (NCHW, batch 1). Each answer on stdout: int32 height, int32 width, then
 * 3*height*width float32. A model without a "denoise" input ignores the strength. Errors: one line
 * on stderr, exit 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "onnxruntime_c_api.h"

static const OrtApi *ort;

static void check(OrtStatus *status)
{
    if (status != NULL) {
        fprintf(stderr, "ort_pipe: %s\n", ort->GetErrorMessage(status));
        exit(1);
    }
}

static int read_all(void *buffer, size_t bytes)
{
    return fread(buffer, 1, bytes, stdin) == bytes;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ort_pipe MODEL.onnx [THREADS]\n");
        return 2;
    }
    ort = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    OrtEnv *env;
    check(ort->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "ort_pipe", &env));
    check(ort->DisableTelemetryEvents(env));
    OrtSessionOptions *options;
    check(ort->CreateSessionOptions(&options));
    check(ort->SetSessionGraphOptimizationLevel(options, ORT_ENABLE_ALL)); /* as the engine: QDQ fused into QLinearConv */
    check(ort->SetIntraOpNumThreads(options, argc > 2 ? atoi(argv[2]) : 1));
    OrtSession *session;
    check(ort->CreateSession(env, argv[1], options, &session));

    size_t inputs;
    check(ort->SessionGetInputCount(session, &inputs));
    int has_denoise = inputs > 1;
    OrtMemoryInfo *memory;
    check(ort->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &memory));
    const char *input_names[] = {"image", "denoise"};
    const char *output_names[] = {"upscaled"};

    int32_t header[2];
    float denoise;
    while (read_all(header, sizeof header) && read_all(&denoise, sizeof denoise)) {
        int64_t shape[4] = {1, 3, header[0], header[1]};
        size_t count = (size_t)3 * header[0] * header[1];
        float *pixels = malloc(count * sizeof(float));
        if (pixels == NULL || !read_all(pixels, count * sizeof(float))) {
            fprintf(stderr, "ort_pipe: truncated request\n");
            return 1;
        }
        OrtValue *values[2] = {NULL, NULL}, *output = NULL;
        int64_t one = 1;
        check(ort->CreateTensorWithDataAsOrtValue(memory, pixels, count * sizeof(float), shape, 4,
                                                  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &values[0]));
        check(ort->CreateTensorWithDataAsOrtValue(memory, &denoise, sizeof denoise, &one, 1,
                                                  ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &values[1]));
        check(ort->Run(session, NULL, input_names, (const OrtValue *const *)values, has_denoise ? 2 : 1,
                       output_names, 1, &output));
        OrtTensorTypeAndShapeInfo *info;
        check(ort->GetTensorTypeAndShape(output, &info));
        int64_t out_shape[4];
        check(ort->GetDimensions(info, out_shape, 4));
        ort->ReleaseTensorTypeAndShapeInfo(info);
        float *result;
        check(ort->GetTensorMutableData(output, (void **)&result));
        int32_t out_header[2] = {(int32_t)out_shape[2], (int32_t)out_shape[3]};
        fwrite(out_header, sizeof out_header, 1, stdout);
        fwrite(result, sizeof(float), (size_t)3 * out_shape[2] * out_shape[3], stdout);
        fflush(stdout);
        ort->ReleaseValue(output);
        ort->ReleaseValue(values[0]);
        ort->ReleaseValue(values[1]);
        free(pixels);
    }
    ort->ReleaseMemoryInfo(memory);
    ort->ReleaseSession(session);
    ort->ReleaseSessionOptions(options);
    ort->ReleaseEnv(env);
    return 0;
}
