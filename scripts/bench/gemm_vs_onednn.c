// Our packed GEMM against oneDNN's sgemm on ResNet-50's GEMM shapes, 2 threads (docs/BENCHMARKS.md).
// Build and run from the repository root (needs Debian's libdnnl-dev, not a dependency of classify):
//   clang -O2 -ISources/CKernelSupport/include Sources/CKernelSupport/packed_gemm.c \
//     Sources/CKernelSupport/cpu_features.c Sources/CKernelSupport/compute_pool.c \
//     scripts/bench/gemm_vs_onednn.c -o /tmp/gemm_vs_onednn -ldnnl -lpthread -lm
//   OMP_NUM_THREADS=2 /tmp/gemm_vs_onednn
#include "packed_gemm.h"
#include <oneapi/dnnl/dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
#define BEST(expr) ({ double best=1e9; for(int r=0;r<5;r++){ double t=now(); for(int i=0;i<3;i++){expr;} t=(now()-t)/3; if(t<best)best=t;} best; })
int main(){
  long shapes[][3]={{256,2304,784},{64,576,12544},{256,64,12544},{512,4608,196},{128,1152,3136},{1024,256,784}};
  printf("shape (M×K×N): ours fp32 | oneDNN sgemm | ours bf16 (form %d), GFLOP/s\n", classify_bf16_format());
  for(int s=0;s<6;s++){ long m=shapes[s][0],k=shapes[s][1],n=shapes[s][2];
    float*a=malloc(m*k*4),*b=malloc(k*n*4),*c=malloc(m*n*4);
    for(long i=0;i<m*k;i++){a[i]=((i*7)%13)*0.1f-0.6f;} for(long i=0;i<k*n;i++){b[i]=((i*5)%11)*0.1f-0.5f;}
    int fb=classify_bf16_format(); uint32_t*pb=aligned_alloc(64,classify_packed_count(m,k)*4+64); classify_pack_a(a,m,k,k,pb);
    double f=2.0*m*k*n/1e9;
    classify_packed_gemm((const uint32_t*)a,CLASSIFY_FORMAT_FP32_ROWS,m,k,b,n,n,c,n,NULL,2);
    double t1=BEST(classify_packed_gemm((const uint32_t*)a,CLASSIFY_FORMAT_FP32_ROWS,m,k,b,n,n,c,n,NULL,2));
    dnnl_sgemm('N','N',m,n,k,1.f,a,k,b,n,0.f,c,n);
    double t2=BEST(dnnl_sgemm('N','N',m,n,k,1.f,a,k,b,n,0.f,c,n));
    classify_packed_gemm(pb,fb,m,k,b,n,n,c,n,NULL,2);
    double t3=BEST(classify_packed_gemm(pb,fb,m,k,b,n,n,c,n,NULL,2));
    printf("%5ld×%5ld×%6ld: %6.1f | %6.1f | %6.1f\n",m,k,n,f/t1,f/t2,f/t3);
    free(a);free(b);free(c);free(pb);}
}
