#!/bin/sh
echo building t/res_key
