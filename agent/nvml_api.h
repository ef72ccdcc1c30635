/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The part of NVIDIA's NVML C API that tokenfactory uses, declared by us.
 *
 * We do not include NVIDIA's nvml.h and nothing NVIDIA is needed to build:
 * the library (libnvidia-ml.so.1, installed with the driver) is loaded at
 * run time with dlopen (agent/nvml.c). What is below are facts of NVML's
 * public, stable C ABI: the numeric return codes and clock types, the layout
 * of nvmlProcessUtilizationSample_t, and the prototypes of the entry points
 * we resolve, with the versioned names (_v2) the library exports.
 *
 * The same list is what the test double (tests/nvml-double/) implements; it
 * declares its functions through the typedefs below, so a prototype that
 * drifted from this header would not compile there.
 */
#ifndef TF_NVML_API_H
#define TF_NVML_API_H

typedef enum nvmlReturn_enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_ALREADY_INITIALIZED = 5,
	NVML_ERROR_NOT_FOUND = 6,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_INSUFFICIENT_POWER = 8,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_TIMEOUT = 10,
	NVML_ERROR_IRQ_ISSUE = 11,
	NVML_ERROR_LIBRARY_NOT_FOUND = 12,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_CORRUPTED_INFOROM = 14,
	NVML_ERROR_GPU_IS_LOST = 15,
	NVML_ERROR_RESET_REQUIRED = 16,
	NVML_ERROR_OPERATING_SYSTEM = 17,
	NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18,
	NVML_ERROR_IN_USE = 19,
	NVML_ERROR_MEMORY = 20,
	NVML_ERROR_NO_DATA = 21,
	NVML_ERROR_VGPU_ECC_NOT_SUPPORTED = 22,
	NVML_ERROR_INSUFFICIENT_RESOURCES = 23,
	NVML_ERROR_FREQ_NOT_SUPPORTED = 24,
	NVML_ERROR_ARGUMENT_VERSION_MISMATCH = 25,
	NVML_ERROR_DEPRECATED = 26,
	NVML_ERROR_NOT_READY = 27,
	NVML_ERROR_GPU_NOT_FOUND = 28,
	NVML_ERROR_INVALID_STATE = 29,
	NVML_ERROR_UNKNOWN = 999,
} nvmlReturn_t;

typedef enum nvmlClockType_enum {
	NVML_CLOCK_GRAPHICS = 0,
	NVML_CLOCK_SM = 1,
	NVML_CLOCK_MEM = 2,
	NVML_CLOCK_VIDEO = 3,
} nvmlClockType_t;

/* An opaque handle, valid from nvmlInit_v2 to nvmlShutdown. */
typedef struct nvmlDevice_st *nvmlDevice_t;

/* Buffer sizes for nvmlDeviceGetName and nvmlDeviceGetUUID (NVML's _V2 sizes). */
#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96

/* One process's utilisation over a sampling period of the driver. */
typedef struct nvmlProcessUtilizationSample_st {
	unsigned int pid;
	unsigned long long timeStamp;	/* CPU timestamp, µs (since the epoch) */
	unsigned int smUtil;		/* % */
	unsigned int memUtil;		/* % */
	unsigned int encUtil;		/* % */
	unsigned int decUtil;		/* % */
} nvmlProcessUtilizationSample_t;

/*
 * The entry points: X(name, return type, parameters). Units as NVML has
 * them: power and limits in mW, energy in mJ since the driver was loaded,
 * clocks in MHz. nvmlDeviceGetProcessUtilization returns the samples newer
 * than lastSeenTimeStamp; with utilization NULL it reports the buffer size
 * needed (NVML_ERROR_INSUFFICIENT_SIZE), and NVML_ERROR_NOT_FOUND when
 * there is no sample.
 */
#define TF_NVML_SYMBOLS(X) \
	X(nvmlInit_v2, nvmlReturn_t, (void)) \
	X(nvmlShutdown, nvmlReturn_t, (void)) \
	X(nvmlErrorString, const char *, (nvmlReturn_t result)) \
	X(nvmlDeviceGetCount_v2, nvmlReturn_t, (unsigned int *deviceCount)) \
	X(nvmlDeviceGetHandleByIndex_v2, nvmlReturn_t, \
	  (unsigned int index, nvmlDevice_t *device)) \
	X(nvmlDeviceGetName, nvmlReturn_t, \
	  (nvmlDevice_t device, char *name, unsigned int length)) \
	X(nvmlDeviceGetUUID, nvmlReturn_t, \
	  (nvmlDevice_t device, char *uuid, unsigned int length)) \
	X(nvmlDeviceGetTotalEnergyConsumption, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned long long *energy)) \
	X(nvmlDeviceGetPowerUsage, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int *power)) \
	X(nvmlDeviceGetPowerManagementLimit, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int *limit)) \
	X(nvmlDeviceGetPowerManagementLimitConstraints, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int *minLimit, unsigned int *maxLimit)) \
	X(nvmlDeviceGetPowerManagementDefaultLimit, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int *defaultLimit)) \
	X(nvmlDeviceSetPowerManagementLimit, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int limit)) \
	X(nvmlDeviceGetProcessUtilization, nvmlReturn_t, \
	  (nvmlDevice_t device, nvmlProcessUtilizationSample_t *utilization, \
	   unsigned int *processSamplesCount, \
	   unsigned long long lastSeenTimeStamp)) \
	X(nvmlDeviceGetClockInfo, nvmlReturn_t, \
	  (nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock)) \
	X(nvmlDeviceGetMaxClockInfo, nvmlReturn_t, \
	  (nvmlDevice_t device, nvmlClockType_t type, unsigned int *clock)) \
	X(nvmlDeviceSetGpuLockedClocks, nvmlReturn_t, \
	  (nvmlDevice_t device, unsigned int minGpuClockMHz, \
	   unsigned int maxGpuClockMHz)) \
	X(nvmlDeviceResetGpuLockedClocks, nvmlReturn_t, (nvmlDevice_t device))

/* A function type per entry point: nvmlInit_v2_fn, ... */
#define TF_NVML_FN_TYPE(name, ret, params) typedef ret name##_fn params;
TF_NVML_SYMBOLS(TF_NVML_FN_TYPE)
#undef TF_NVML_FN_TYPE

#endif /* TF_NVML_API_H */
