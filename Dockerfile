# SPDX-License-Identifier: BSD-3-Clause
# Dockerfile -- daxmrd, libdaxmr and the daxmr tool on Debian bookworm (the same targets and
# install rules as the CMake build, tests off).
#
#   docker build -t daxmr .
#   docker run --rm --network host --device /dev/infiniband --ulimit memlock=-1 \
#     --cap-add LEASE --cap-add IPC_LOCK -v /mnt/pmem:/mnt/pmem --device /dev/dax1.0 \
#     daxmr --listen 0.0.0.0 --export db=/mnt/pmem/db.img
#
# What each flag is for (kept out of the command so that it pastes as it is):
#   --device /dev/infiniband   uverbs and rdma_cm of the host's RDMA device
#   --ulimit memlock=-1        pinned registrations count against RLIMIT_MEMLOCK
#   --cap-add LEASE            lease files not owned by the daemon's uid
#   --cap-add IPC_LOCK         or pin without a memlock limit at all
#   -v /mnt/pmem:/mnt/pmem     the fs-DAX mount (XFS -o dax=always); same path inside
#   --device /dev/dax1.0       a devdax export, if any (drop it if there is none)
#
# --network host: rdma_cm resolves the RDMA device from the IP address, which must be visible in
# the container. The file lease and MAP_SYNC work on the bind mount because it is the same
# filesystem; a lease broken by a process outside the container still reaches daxmrd.

FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
	cmake ninja-build gcc pkg-config libc6-dev \
	libibverbs-dev librdmacm-dev libpmem2-dev libevent-dev libsodium-dev libjson-c-dev libsystemd-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY common common
COPY proto proto
COPY server server
COPY client client
COPY cmake cmake
COPY man man
COPY systemd systemd
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAXMR_BUILD_TESTS=OFF \
	-DCMAKE_INSTALL_PREFIX=/usr \
	&& cmake --build /build \
	&& DESTDIR=/staging cmake --install /build

# The benchmark's tools (scripts/deps.sh's "bench" set): perftest, python3, gnuplot-nox, with the
# build's programs. `docker build --target bench -t daxmr-bench .`, then scripts/bench.sh or
# scripts/report.sh --from inside it (the default target below stays the daemon alone).
FROM debian:bookworm AS bench
RUN apt-get update && apt-get install -y --no-install-recommends \
	libibverbs1 ibverbs-providers librdmacm1 libpmem2 libevent-2.1-7 libsodium23 libjson-c5 libsystemd0 \
	perftest python3 gnuplot-nox \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /staging/ /
RUN ldconfig

FROM debian:bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
	libibverbs1 ibverbs-providers librdmacm1 libpmem2 libevent-2.1-7 libsodium23 libjson-c5 libsystemd0 \
	&& rm -rf /var/lib/apt/lists/*
COPY --from=build /staging/ /
RUN ldconfig
ENTRYPOINT ["/usr/sbin/daxmrd", "--foreground"]
